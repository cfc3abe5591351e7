"""Step 1 of the pipeline: files -> documents and chunks in SQLite.

Also home of the foundation every later step shares: settings, errors, atomic files.
"""
