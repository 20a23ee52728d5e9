"""conformance.config: loading providers.yaml.

Covered: a complete valid file (every provider field, global and per-provider settings,
shorthands, ${VAR} interpolation in api_key/base_url/headers); unset or empty variables
mark the provider skipped (never an exception); every kind of invalid file raises
ConfigError naming the file, the line and the field (YAML syntax, empty file, wrong top
level, missing/unknown/mistyped fields, duplicate names, non-http base_url, unknown
embedded provider or deviation); secrets never reach a ConfigError message or a repr.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.config import ProviderConfig, default_providers_path, load_config
from conformance.errors import ConfigError
from conformance.settings import Settings
from tests.support.keys import assert_no_key_slice

SECRET = "sk-test-Zq8Wm3Kp9Lx2Vb7Nc4Rt"

FULL = """\
settings:
  timeout_s: 30
  max_body_bytes: 50000
  temperature: null
providers:
  - name: full.provider-1
    base_url: https://api.example.com/v1/
    api_key: ${EXAMPLE_KEY}
    models:
      chat: chat-model
      vision: vision-model
    headers:
      X-Team: platform
      X-Token: tok-${EXAMPLE_KEY}
    max_concurrency: 2
    timeout_s: 12.5
    settings:
      max_concurrency: 7
      token_limit: 3
      bound_field: max_completion_tokens
  - name: local
    base_url: http://127.0.0.1:8000/v1
    models: {chat: small}
  - name: ref
    base_url: embedded:reference
    models: {chat: reference-chat}
"""


def write(tmp_path: Path, text: str, name: str = "providers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={} if environ is None else environ)
    return str(info.value)


def assert_names(message: str, path: Path, line: int, field: str) -> None:
    """The message starts with ``FILE:LINE:`` and names the field."""
    assert message.startswith(f"{path}:{line}:"), message
    assert field in message, message


def provider_yaml(extra: str = "", *, name: str = "p", base_url: str = "http://127.0.0.1:9/v1") -> str:
    return f"providers:\n  - name: {name}\n    base_url: {base_url}\n    models: {{chat: m}}\n{extra}"


# --- a valid file ---------------------------------------------------------------------------


def test_full_file_loads_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    config = load_config(path, environ={"EXAMPLE_KEY": SECRET})

    assert config.path == path
    assert [p.name for p in config.providers] == ["full.provider-1", "local", "ref"]
    full, _, _ = config.providers

    assert full.base_url == "https://api.example.com/v1"  # trailing slash removed
    assert full.api_key == SECRET
    assert full.models == {"chat": "chat-model", "vision": "vision-model"}
    assert full.headers == {"X-Team": "platform", "X-Token": f"tok-{SECRET}"}
    assert full.skipped_reason is None
    assert not full.embedded


def test_settings_layer_global_then_provider_then_shorthand(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={"EXAMPLE_KEY": SECRET})
    full, local, _ = config.providers

    assert config.settings == Settings(timeout_s=30, max_body_bytes=50000, temperature=None)
    # Global settings apply to a provider without its own.
    assert local.settings == config.settings
    # Provider settings override global ones; the shorthands override provider settings.
    assert full.settings.timeout_s == 12.5
    assert full.settings.max_concurrency == 2
    assert full.settings.token_limit == 3
    assert full.settings.bound_field == "max_completion_tokens"
    assert full.settings.max_body_bytes == 50000
    assert full.settings.temperature is None


def test_provider_without_key_or_vision_model(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={"EXAMPLE_KEY": SECRET})
    local = config.providers[1]
    assert local.api_key is None
    assert local.headers == {}
    assert local.models == {"chat": "small"}
    assert local.skipped_reason is None


def test_embedded_provider_keeps_its_url(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={"EXAMPLE_KEY": SECRET})
    ref = config.providers[2]
    assert ref.embedded
    assert ref.base_url == "embedded:reference"


def test_embedded_with_deviate_parameter_accepted_when_empty(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, provider_yaml(base_url="embedded:reference?deviate=")), environ={})
    assert config.providers[0].base_url == "embedded:reference?deviate="


def test_base_url_may_come_from_a_variable(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml(base_url="${BASE}"))
    config = load_config(path, environ={"BASE": "http://10.0.0.1:8080/v1/"})
    assert config.providers[0].base_url == "http://10.0.0.1:8080/v1"


def test_default_providers_file_is_valid() -> None:
    config = load_config(default_providers_path(), environ={})
    assert [p.name for p in config.providers] == ["reference"]
    assert config.providers[0].embedded


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = config_error(path)
    assert str(path) in message
    assert "not found" in message


# --- unset variables: skipped, never an error ------------------------------------------------


def test_unset_variable_skips_the_provider(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    config = load_config(path, environ={})
    full = config.providers[0]
    assert full.skipped_reason is not None
    assert "EXAMPLE_KEY" in full.skipped_reason
    assert "is not set" in full.skipped_reason
    # The line of the field that names the variable (api_key), not the provider's first line.
    assert f"providers[0].api_key at {path.name}:8" in full.skipped_reason
    assert full.api_key is None
    # The other providers are unaffected.
    assert config.providers[1].skipped_reason is None
    assert config.providers[2].skipped_reason is None


def test_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={"EXAMPLE_KEY": ""})
    reason = config.providers[0].skipped_reason
    assert reason is not None and "EXAMPLE_KEY" in reason
    assert config.providers[0].api_key is None


def test_every_unset_variable_is_named_once(tmp_path: Path) -> None:
    text = provider_yaml("    api_key: ${KEY_A}\n    headers: {X-A: '${KEY_B}', X-B: '${KEY_A}'}\n")
    config = load_config(write(tmp_path, text), environ={})
    reason = config.providers[0].skipped_reason or ""
    assert "KEY_A, KEY_B" in reason
    assert reason.count("KEY_A") == 1


def test_unset_base_url_variable_skips_rather_than_rejects(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, provider_yaml(base_url="${NO_SUCH_URL}")), environ={})
    reason = config.providers[0].skipped_reason
    assert reason is not None and "NO_SUCH_URL" in reason


def test_load_config_reads_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFORMANCE_TEST_KEY", SECRET)
    config = load_config(write(tmp_path, provider_yaml("    api_key: ${CONFORMANCE_TEST_KEY}\n")))
    assert config.providers[0].api_key == SECRET


# --- errors name file, line and field ---------------------------------------------------------


def test_unclosed_flow_mapping_is_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "providers:\n  - name: a\n    models: {chat: m\n    base_url: http://x/v1\n")
    message = config_error(path)
    assert message.startswith(f"{path}:")
    assert "invalid YAML" in message
    line = int(message[len(str(path)) + 1 :].split(":", 1)[0])
    assert 3 <= line <= 5


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    message = config_error(path)
    assert_names(message, path, 1, "empty")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    message = config_error(path)
    assert_names(message, path, 1, "expected a mapping")
    assert "providers" in message


def test_unknown_provider_field_lists_allowed_fields(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml("    timeout: 5\n"))
    message = config_error(path)
    assert_names(message, path, 5, "providers[0].timeout")
    assert "unknown field" in message
    allowed = re.search(r"allowed: ([^)]*)", message)
    assert allowed is not None
    assert allowed.group(1).split(", ") == [
        "api_key", "auth", "base_url", "headers", "max_concurrency", "models", "name", "query", "request_defaults", "requirements",
        "settings", "timeout_s",
    ]


@pytest.mark.parametrize("url", ["ftp://example.com/v1", "example.com/v1", "/v1", "localhost:11434/v1", "https://api.example.com/v1?x=1"])
def test_non_http_base_url_is_refused_in_words(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, provider_yaml(base_url=url))
    message = config_error(path)
    assert_names(message, path, 3, "providers[0].base_url")
    assert "give the API root as http:// or https:// and a host" in message and "^" not in message  # words, not a regex


@pytest.mark.parametrize(("value", "line_field", "said"), [
    pytest.param("    api_key: $ACME_KEY\n", "providers[0].api_key", "write ${ACME_KEY}", id="api_key_without_braces"),
    pytest.param("    api_key: ${ACME_KEY\n", "providers[0].api_key", "is not closed", id="api_key_unclosed"),
    pytest.param("    headers: {X-Org: $ORG}\n", "providers[0].headers.X-Org", "write ${ORG}", id="header_without_braces"),
    pytest.param("    query: {api-version: '${VERSION}'}\n", "", "", id="query_with_braces_is_fine"),
])
def test_variables_must_be_written_with_braces(tmp_path: Path, value: str, line_field: str, said: str) -> None:
    """`$VAR` would be sent as it is (the key "$ACME_KEY") and the provider blamed for refusing it."""
    path = write(tmp_path, provider_yaml(value))
    if not said:
        assert load_config(path, environ={"VERSION": "2024-10-21"}).providers[0].query == {"api-version": "2024-10-21"}
        return
    message = config_error(path, {"ACME_KEY": "sk-secret-value-12345", "ORG": "o"})
    assert_names(message, path, 5, line_field)
    assert said in message and "sk-secret" not in message


def test_auth_query_and_request_defaults_are_read(tmp_path: Path) -> None:
    extra = ("    auth: {header: api-key}\n    query: {api-version: '2024-10-21'}\n"
             "    request_defaults: {reasoning_effort: none, chat_template_kwargs: {enable_thinking: false}}\n")
    provider = load_config(write(tmp_path, provider_yaml(extra)), environ={}).providers[0]
    assert provider.auth == "api-key"
    assert provider.query == {"api-version": "2024-10-21"}
    assert provider.request_defaults == {"reasoning_effort": "none", "chat_template_kwargs": {"enable_thinking": False}}
    assert load_config(write(tmp_path, provider_yaml("    auth: none\n")), environ={}).providers[0].auth == "none"


@pytest.mark.parametrize(("extra", "field"), [
    pytest.param("    auth: basic\n", "providers[0].auth", id="auth_unknown_style"),
    pytest.param("    auth: {header: 'bad header'}\n", "providers[0].auth.header", id="auth_header_not_a_name"),
    pytest.param("    query: {api-version: 2024}\n", "providers[0].query.api-version", id="query_value_not_a_string"),
])
def test_auth_and_query_mistakes_name_the_field(tmp_path: Path, extra: str, field: str) -> None:
    path = write(tmp_path, provider_yaml(extra))
    assert_names(config_error(path), path, 5, field)


INVALID = [
    # The file, the line and the field the message must start with and name, and what else it must say.
    pytest.param("providers:\n  - name: a\n\tbase_url: http://x/v1\n", 3, "invalid YAML", [], id="invalid_yaml_names_the_line_of_the_fault"),
    pytest.param("settings:\n  timeout_s: 5\n", 1, "providers", ["required"], id="missing_providers"),
    pytest.param("providers: []\n", 1, "providers", ["empty"], id="empty_providers_list"),
    pytest.param(
        "providers:\n  - name: a\n    base_url: http://x/v1\n    models:\n      vision: v\n", 4, "providers[0].models.chat", ["required"],
        id="missing_models_chat",
    ),
    pytest.param(
        "providers:\n  - name: ok\n    base_url: http://x/v1\n    models: {chat: m}\n  - base_url: http://y/v1\n    models: {chat: m}\n",
        5, "providers[1].name", ["required"], id="missing_name",
    ),
    pytest.param(
        provider_yaml() + "setings:\n  timeout_s: 5\n", 5, "setings", ["allowed: providers, requirements, settings"], id="unknown_top_level_field",
    ),
    pytest.param(
        "settings:\n  timeout_s: 5\n  retries: 3\n" + provider_yaml(), 3, "settings.retries", ["timeout_s", "max_body_bytes"],
        id="unknown_settings_field",
    ),
    pytest.param(
        "providers:\n  - name: a\n    base_url: http://x/v1\n    modles: {chat: m}\n", 4, "providers[0].modles", ["unknown field"],
        id="misspelt_models_reports_the_unknown_field",
    ),
    pytest.param(provider_yaml("    max_concurrency: four\n"), 5, "providers[0].max_concurrency", ["integer"], id="wrong_type_max_concurrency"),
    pytest.param("settings:\n  timeout_s: 0\n" + provider_yaml(), 2, "settings.timeout_s", ["minimum"], id="out_of_range_setting_shows_the_rule"),
    pytest.param(provider_yaml(name="'has space'"), 2, "providers[0].name", ["letters, digits"], id="bad_provider_name"),
    pytest.param(
        provider_yaml(name="twin") + "  - name: twin\n    base_url: http://127.0.0.1:10/v1\n    models: {chat: m}\n",
        5, "providers[1].name", ["duplicate provider name 'twin'", "line 2"], id="duplicate_provider_names",
    ),
    pytest.param(
        provider_yaml(base_url="embedded:nonesuch"), 3, "providers[0].base_url", ["unknown embedded provider 'nonesuch'", "reference"],
        id="unknown_embedded_provider",
    ),
    pytest.param(
        provider_yaml(base_url="embedded:reference?deviate=no_such_thing"), 3, "providers[0].base_url", ["unknown deviation 'no_such_thing'"],
        id="unknown_embedded_deviation",
    ),
    pytest.param(provider_yaml(base_url="embedded:reference?colour=red"), 3, "providers[0].base_url", ["colour"], id="unknown_embedded_parameter"),
]


@pytest.mark.parametrize(("text", "line", "field", "phrases"), INVALID)
def test_an_invalid_file_is_an_error_naming_file_line_and_field(tmp_path: Path, text: str, line: int, field: str, phrases: list[str]) -> None:
    path = write(tmp_path, text)
    message = config_error(path)
    assert_names(message, path, line, field)
    for phrase in phrases:
        assert phrase in message, message


def test_variable_base_url_that_is_not_http(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml(base_url="${BASE}"))
    message = config_error(path, {"BASE": "ftp://example.com"})
    assert_names(message, path, 3, "providers[0].base_url")
    assert "give the API root as http:// or https:// and a host" in message


# --- secrets stay out of messages and reprs ---------------------------------------------------


LEAKY = [
    # A file whose error could quote a secret: the line and field named, and what else the message must (not) say.
    pytest.param(
        provider_yaml("    api_key: ${KEY}\n    max_concurrency: ${KEY}\n"), {"KEY": SECRET}, 6, "providers[0].max_concurrency", [], ["${KEY}"],
        id="key_where_a_number_is_expected",
    ),
    pytest.param(provider_yaml(f"    timeout_s: {SECRET}\n"), {}, 5, "providers[0].timeout_s", [], [], id="literal_key_in_a_wrong_place"),
    # A list where a mapping or a scalar is expected, holding the key.
    pytest.param(provider_yaml(f"    headers: [{SECRET}]\n"), {}, 5, "providers[0].headers", [], [], id="literal_key_inside_headers"),
    pytest.param(provider_yaml(f"    max_concurrency: [{SECRET}]\n"), {}, 5, "providers[0].max_concurrency", [], [], id="literal_key_inside_max_concurrency"),
    pytest.param(
        provider_yaml(f"    settings: {{temperature: [{SECRET}]}}\n"), {}, 5, "providers[0].settings.temperature", [], [],
        id="literal_key_inside_settings",
    ),
    pytest.param(f"providers:\n  name: a\n  api_key: {SECRET}\n", {}, 1, "providers", [], [], id="providers_mapping_holding_a_key"),
    pytest.param(
        provider_yaml(base_url="embedded:reference?deviate=${KEY}"), {"KEY": SECRET}, 3, "providers[0].base_url", [], [],
        id="interpolated_key_in_embedded_url",
    ),
    pytest.param(
        provider_yaml(base_url="${BASE}"), {"BASE": f"embedded:{SECRET}"}, 3, "providers[0].base_url", [], [], id="interpolated_embedded_base_url",
    ),
    pytest.param(
        provider_yaml("    api_key: ${KEY}\n", name="x") + "  - name: x\n    base_url: http://h/v1\n    models: {chat: m}\n", {"KEY": SECRET},
        6, "providers[1].name", ["duplicate"], [], id="duplicate_name_error",
    ),
    # e.g. read from a CRLF .env file: a key with a line break cannot be sent as a header.
    pytest.param(
        provider_yaml("    api_key: ${KEY}\n"), {"KEY": SECRET + "\r"}, 5, "providers[0].api_key", ["line break"], [], id="key_with_a_line_break",
    ),
]


@pytest.mark.parametrize(("text", "environ", "line", "field", "phrases", "absent"), LEAKY)
def test_a_secret_never_reaches_a_config_error(
    tmp_path: Path, text: str, environ: dict[str, str], line: int, field: str, phrases: list[str], absent: list[str]
) -> None:
    path = write(tmp_path, text)
    message = config_error(path, environ)
    assert_names(message, path, line, field)
    assert_no_key_slice(message, SECRET, "the error message")
    for phrase in phrases:
        assert phrase in message, message
    for phrase in absent:
        assert phrase not in message, message


def test_repr_hides_key_and_headers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={"EXAMPLE_KEY": SECRET})
    full = config.providers[0]
    assert full.api_key == SECRET
    for text in (repr(full), str(full), repr(config), repr(config.providers)):
        assert SECRET not in text
        assert "full.provider-1" in text


def test_repr_of_directly_built_provider_hides_key() -> None:
    provider = ProviderConfig(name="n", base_url="http://h/v1", models={"chat": "m"}, api_key=SECRET,
                              headers={"X-Key": SECRET})
    assert SECRET not in repr(provider)
    assert repr(provider).startswith("ProviderConfig(name='n'")


# --- values that cannot be sent as HTTP headers -------------------------------------------------


def test_non_ascii_header_value_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml("    headers:\n      X-Team: équipe\n"))
    message = config_error(path)
    assert_names(message, path, 6, "providers[0].headers.X-Team")
    assert "non-ASCII" in message and "équipe" not in message


@pytest.mark.parametrize("name", ["'X Team'", "'X:Team'", "1"])
def test_invalid_header_name_is_rejected(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, provider_yaml(f"    headers:\n      {name}: v\n"))
    message = config_error(path)
    assert message.startswith(f"{path}:")
    assert "providers[0].headers" in message and "header name" in message


def test_header_value_with_tab_and_punctuation_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml("    headers:\n      X-Meta: \"a\\tb; c=d, e/f\"\n"))
    config = load_config(path, environ={})
    assert config.providers[0].headers == {"X-Meta": "a\tb; c=d, e/f"}


def test_a_field_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "providers:\n"
        "  - name: acme\n"
        "    base_url: https://api.acme.example/v1\n"
        "    api_key: ${ACME_KEY}\n"
        "    models: {chat: m}\n"
        "    api_key: ${OTHER_KEY}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"providers\.yaml:6: providers\[0\]\.api_key: given twice \(first at line 4\)"):
        load_config(path, environ={"ACME_KEY": "k1", "OTHER_KEY": "k2"})
