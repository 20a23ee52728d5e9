"""Helpers shared by the test suite: key slices, the crafted provider, the raw-bytes server, the
reference servers. Fixtures built on them live in ``tests/conftest.py``."""
