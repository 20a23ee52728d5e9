"""The suite's own exceptions, in one place."""


class ConformanceError(Exception):
    """Base of every error the suite raises on purpose."""


class ConfigError(ConformanceError):
    """The configuration is unusable; the message names file, line and field. Exit code 2."""


class UsageError(ConformanceError):
    """The command line is unusable. Exit code 2."""


class SSEError(ConformanceError):
    """The bytes cannot be read as an event stream at all (e.g. invalid UTF-8)."""
