"""Chat: the minimal request, its usage arithmetic, and a multi-turn history."""

from .basic import chat_basic
from .multi_turn import chat_multi_turn
from .usage import chat_usage

CHECKS = (chat_basic, chat_usage, chat_multi_turn)
