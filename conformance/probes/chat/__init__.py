"""Chat: the minimal request, its usage arithmetic, a multi-turn history, content parts, and
whether the history really reaches the model."""

from .basic import chat_basic
from .content_parts import chat_content_parts
from .history_recall import chat_history_recall
from .multi_turn import chat_multi_turn
from .usage import chat_usage

CHECKS = (chat_basic, chat_usage, chat_multi_turn, chat_content_parts, chat_history_recall)
