"""Base URL: does the API answer where the configuration says, with or without `/v1`?"""

from .v1_path import base_url_v1_path

CHECKS = (base_url_v1_path,)
