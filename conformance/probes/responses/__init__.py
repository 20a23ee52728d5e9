"""The Responses API (`POST /responses`), which OpenAI moves new development to: a plain response,
instructions, the typed event stream, the output limit, function tools and their round trip,
stateful continuation, and errors. Every check but `responses.basic` needs it to answer."""

from .basic import responses_basic
from .errors import responses_errors
from .instructions import responses_instructions
from .max_output_tokens import responses_max_output_tokens
from .previous_response_id import responses_previous_response_id
from .streaming import responses_streaming
from .tools import responses_tools

CHECKS = (
    responses_basic, responses_instructions, responses_streaming, responses_max_output_tokens, responses_tools,
    responses_previous_response_id, responses_errors,
)
