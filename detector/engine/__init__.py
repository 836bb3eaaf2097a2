"""The evaluation engine: series -> per-series models (on an executor) -> drivers -> the policy's findings."""
