"""Auth: a valid key works as `Authorization: Bearer`; no key and a wrong key are refused."""

from .bearer import auth_bearer
from .invalid_key_rejected import auth_invalid_key_rejected
from .missing_key_rejected import auth_missing_key_rejected

CHECKS = (auth_bearer, auth_missing_key_rejected, auth_invalid_key_rejected)
