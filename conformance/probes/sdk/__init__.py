"""The official openai Python SDK as a second client (a dependency; where it was removed these are
skip, naming the install command): chat, the stream helper, tools, and the Responses API."""

from .chat import sdk_chat
from .responses import sdk_responses
from .streaming import sdk_streaming
from .tools import sdk_tools

CHECKS = (sdk_chat, sdk_streaming, sdk_tools, sdk_responses)
