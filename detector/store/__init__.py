"""The local history store (SQLite): what was pulled, its holes, its integrity and its lock."""
