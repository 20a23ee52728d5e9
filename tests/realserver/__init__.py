"""Real third-party servers (``pytest -m realserver``): llama-cpp-python and a LiteLLM proxy on loopback."""
