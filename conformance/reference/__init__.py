"""An OpenAI-compatible provider with a deterministic model, for the suite's probes and tests."""

from .app import DEFAULT_MODELS, create_app
from .server import EmbeddedServer

__all__ = ["DEFAULT_MODELS", "EmbeddedServer", "create_app"]
