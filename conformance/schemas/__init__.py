"""JSON Schemas (draft 2020-12) shipped as package data.

``compat/`` holds what real OpenAI clients need (a violation is a FAIL), ``strict/``
holds OpenAI's published spec, faithfully (a strict-only violation is a warning);
``providers.schema.json`` describes the ``providers.yaml`` config file. Load them with
``importlib.resources.files("conformance.schemas")``.
"""
