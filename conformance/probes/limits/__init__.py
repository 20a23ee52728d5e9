"""Rate limits: which `x-ratelimit-*` and `retry-after` headers the provider sends."""

from .rate_limit_headers import limits_rate_limit_headers

CHECKS = (limits_rate_limit_headers,)
