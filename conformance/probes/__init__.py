"""The checklist: one folder per area, one file per check. Each area's ``__init__`` only lists
its checks in ``CHECKS``; a test asserts no check file is left out of its area, and no area out
of ``AREAS``. ``shared.py`` holds the requests and readers several areas use."""

from . import auth, base_url, chat, errors, limits, models, params, responses, sdk, streaming, structured, system, tokens, tools, vision

AREAS = (base_url, auth, models, chat, system, vision, tools, structured, params, streaming, tokens, errors, limits, responses, sdk)
CHECKS = tuple(check for area in AREAS for check in area.CHECKS)
