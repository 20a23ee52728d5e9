"""The test suite: a package, so every module has a unique name (tests.unit.test_config) and the
shared helpers import as ``tests.support``. Fixtures for all of it are in ``conftest.py``."""
