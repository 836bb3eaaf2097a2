"""Core types every stage shares: series and their identity, findings, the evaluation's outcome, coverage, time."""
