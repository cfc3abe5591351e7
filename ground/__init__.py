"""The ground floor every step shares: settings, errors, plain records, atomic files,
the write lock, the library file's SQLite connection and transaction helper. Imports nothing
from the steps (ingest, index, assistant, memory, ui)."""
