"""The command line end to end: run, gates, diff, compare, repeat and budget, the CI recipe, the pytest plugin, redaction."""
