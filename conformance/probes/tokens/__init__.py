"""Token limits: `max_completion_tokens` and `max_tokens` are each accepted AND enforced."""

from .max_completion_tokens import tokens_max_completion_tokens
from .max_tokens import tokens_max_tokens

CHECKS = (tokens_max_completion_tokens, tokens_max_tokens)
