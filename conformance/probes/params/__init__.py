"""Parameters: accepted, and honoured. A parameter accepted and ignored is how apps break quietly,
so each check shows the parameter's effect, not only that the request went through."""

from .logprobs import params_logprobs
from .n import params_n
from .optional_fields import params_optional_fields
from .seed import params_seed
from .stop import params_stop
from .temperature import params_temperature

CHECKS = (params_stop, params_n, params_logprobs, params_seed, params_temperature, params_optional_fields)
