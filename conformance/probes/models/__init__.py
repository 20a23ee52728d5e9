"""Model ids: the list endpoint, the configured ids in it, retrieving one, and unknown ids refused."""

from .configured_present import models_configured_present
from .list import models_list
from .retrieve import models_retrieve
from .unknown_rejected import models_unknown_rejected

CHECKS = (models_list, models_configured_present, models_retrieve, models_unknown_rejected)
