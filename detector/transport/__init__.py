"""I/O shared by the sources, the store and the sinks: HTTP sessions with retries and timeouts, credentials kept out of output, atomic file writes."""
