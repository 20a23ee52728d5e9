"""Tools: every tool_choice form, valid arguments, the `tool` message round trip, parallel
calls and streamed tool-call deltas."""

from .auto import tools_auto
from .named import tools_named
from .none import tools_none
from .parallel import tools_parallel
from .required import tools_required
from .roundtrip import tools_roundtrip
from .streaming import tools_streaming

CHECKS = (tools_auto, tools_none, tools_required, tools_named, tools_roundtrip, tools_parallel, tools_streaming)
