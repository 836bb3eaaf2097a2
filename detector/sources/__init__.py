"""Where series come from: Prometheus (planned, chunked, deadline-bound pulls into the store) or exported files, put on each signal's regular grid."""
