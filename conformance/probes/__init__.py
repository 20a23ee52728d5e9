"""The checklist, one module per area. A module listed in AREAS is what makes its checks run;
a test asserts no module in this folder is left out."""

from . import auth, base_url, chat, errors, limits, models, streaming, system, tokens, tools, vision

AREAS = (base_url, auth, models, chat, system, vision, tools, streaming, tokens, errors, limits)
