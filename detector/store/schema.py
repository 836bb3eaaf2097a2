"""The history store's SQLite schema, connection settings and error messages (``detector.store.history``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.errors import StoreError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE signals (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, query TEXT NOT NULL, step_ms INTEGER NOT NULL,
    covered_from INTEGER, covered_to INTEGER, UNIQUE (name, query, step_ms));
CREATE TABLE series (
    id INTEGER PRIMARY KEY, signal_id INTEGER NOT NULL REFERENCES signals (id),
    labels TEXT NOT NULL, UNIQUE (signal_id, labels));
CREATE TABLE blocks (
    series_id INTEGER NOT NULL REFERENCES series (id), block INTEGER NOT NULL,
    first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, ts BLOB NOT NULL, vals BLOB NOT NULL,
    PRIMARY KEY (series_id, block)) WITHOUT ROWID;
CREATE INDEX blocks_by_last ON blocks (last_ms);
"""
HOLES = """
CREATE TABLE IF NOT EXISTS holes (
    signal_id INTEGER NOT NULL REFERENCES signals (id), labels TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, PRIMARY KEY (signal_id, labels, start_ms, end_ms)) WITHOUT ROWID;
"""
"""Added within schema version 1 (created on open when missing): older stores simply have no holes yet."""


def prepare(connection: sqlite3.Connection, max_bytes: int | None) -> None:
    """WAL mode, the size cap, and the schema (created on first use, checked afterwards)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if version == 0 and tables == 0:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    elif version != SCHEMA_VERSION:
        raise StoreError(
            f"not a slowburn history store of schema version {SCHEMA_VERSION} (found version {version} with {tables} table(s)); "
            "point store.path at a new file"
        )
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(HOLES)
    connection.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after a crash
    if max_bytes is not None:
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {max(1, int(max_bytes) // int(page))}")


@contextmanager
def guard(path: Path, action: str) -> Iterator[None]:
    """Turn SQLite failures into a ``StoreError`` naming the file and what to do."""
    try:
        yield
    except StoreError as err:
        raise StoreError(err.message, location=str(path)) from None
    except sqlite3.Error as exc:
        raise StoreError(f"cannot {action} the history store: {explain(exc)}", location=str(path)) from None


def explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return f"{text} (free space on the volume or lower store.retention)"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return f"{text} (the file and its directory must be writable)"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"{text} (not a slowburn history store, or damaged: move the file and its -wal/-shm files away, or point store.path at a new file)"
    return text
