"""Rate limits and concurrency: the x-ratelimit-* headers, Retry-After on 429s, and streams served side by side."""

from .concurrency import limits_concurrency
from .rate_limit_headers import limits_rate_limit_headers
from .retry_after import limits_retry_after

CHECKS = (limits_rate_limit_headers, limits_retry_after, limits_concurrency)
