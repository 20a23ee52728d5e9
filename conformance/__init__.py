"""conformance: tells, with evidence, how OpenAI-compatible an LLM provider really is."""

__version__ = "0.1.0"
