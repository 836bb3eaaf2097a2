"""The configuration: the YAML file's schema and loading, durations, live settings, located errors."""
