"""Running slowburn: one live run, the schedule, the HTTP server and slowburn's own metrics."""
