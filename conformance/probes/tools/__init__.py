"""Tools: every tool_choice form, valid arguments, the `tool` message round trip, parallel
calls, streamed tool-call deltas, strict schemas, the legacy `functions`, replayed foreign call
ids, and whether the model picks the right tool (or none)."""

from .auto import tools_auto
from .auto_no_call import tools_auto_no_call
from .foreign_call_ids import tools_foreign_call_ids
from .legacy_functions import tools_legacy_functions
from .named import tools_named
from .none import tools_none
from .parallel import tools_parallel
from .required import tools_required
from .roundtrip import tools_roundtrip
from .selection import tools_selection
from .streaming import tools_streaming
from .strict import tools_strict

CHECKS = (
    tools_auto, tools_none, tools_required, tools_named, tools_roundtrip, tools_parallel, tools_streaming,
    tools_strict, tools_legacy_functions, tools_foreign_call_ids, tools_selection, tools_auto_no_call,
)
