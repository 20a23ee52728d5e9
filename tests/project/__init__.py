"""The project itself: import rules of the package, and what its wheel installs."""
