"""Streaming: SSE framing, valid chunks, content deltas, the `[DONE]` terminator, the include_usage
chunk, errors refused before a stream starts, and whether the reply really arrives over time.
One stream proves the first three; include_usage gets its own request so a provider refusing
`stream_options` does not drag the others down."""

from .content import streaming_content
from .done import streaming_done
from .errors import streaming_errors
from .incremental import streaming_incremental
from .sse import streaming_sse
from .usage import streaming_usage

CHECKS = (streaming_sse, streaming_done, streaming_content, streaming_usage, streaming_errors, streaming_incremental)
