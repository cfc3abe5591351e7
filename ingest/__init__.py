"""Step 1 of the pipeline: files -> documents and chunks in SQLite.

What every step shares (settings, errors, records, atomic files, the lock, the SQLite
transaction helper) lives in ``ground/``.
"""
