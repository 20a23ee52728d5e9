"""providers.yaml → validated ProviderConfig objects, with errors that name file, line and field."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError
from .policy import Policy, policy_from_yaml
from .redact import Redactor, is_secret_header
from .settings import Settings
from .sweep import EVERY_MODEL, ModelSweep, column_name
from .text import field_path

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BARE_VAR = re.compile(r"(?<![$\w])\$([A-Za-z_][A-Za-z0-9_]*)\b(?!\})")
"""``$NAME`` without braces: a shell habit; sent as it is, it would be the key, and the provider blamed."""
_OPEN_VAR = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")
"""``${`` that does not close on a variable name."""
AUTH_BEARER = "bearer"
AUTH_NONE = "none"
EMBEDDED_PREFIX = "embedded:"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    base_url: str
    models: dict[str, str]
    api_key: str | None = None
    """Resolved secret; never print it."""
    headers: dict[str, str] = field(default_factory=dict)
    auth: str = AUTH_BEARER
    """How the key is sent: ``bearer``, ``none``, or the name of the header that carries it."""
    query: dict[str, str] = field(default_factory=dict)
    """Query parameters added to every URL (Azure's ``api-version``)."""
    request_defaults: dict[str, Any] = field(default_factory=dict)
    """Fields merged into every JSON request body; a check's own fields win."""
    key_env: str | None = None
    """The environment variable ``api_key`` names, for messages about the key (never its value)."""
    settings: Settings = Settings()
    skipped_reason: str | None = None
    """Set when the provider cannot be run (e.g. an unset key variable)."""
    policy: Policy = Policy()
    """The ``requirements:`` gate for this provider (global block plus its own)."""
    group: str | None = None
    """The providers.yaml entry this column is one model of (``models.chat`` a list or ``"*"``);
    None for a provider that is a column of its own. A group's columns share its request slots."""
    sweep: ModelSweep | None = None
    """``models.chat: "*"``: the runner replaces this provider by a column per listed model."""

    def secrets(self) -> list[str]:
        """What must never be written or printed: the key, and header or query values whose names say
        they are secret."""
        values = [v for k, v in [*self.headers.items(), *self.query.items()] if is_secret_header(k)]
        return [s for s in (self.api_key, *values) if s]

    @property
    def embedded(self) -> bool:
        return self.base_url.startswith(EMBEDDED_PREFIX)

    def columns(self, models: list[str]) -> list[ProviderConfig]:
        """One provider per model, named ``provider/model``, each with that model as models.chat."""
        return [
            replace(self, name=column_name(self.name, m), models={**self.models, "chat": m}, sweep=None, group=self.name)
            for m in models
        ]

    def __repr__(self) -> str:  # keeps the key out of tracebacks and debug prints
        return f"ProviderConfig(name={self.name!r}, base_url={self.base_url!r}, models={self.models!r})"


@dataclass(frozen=True)
class Config:
    path: Path
    providers: list[ProviderConfig]
    settings: Settings
    policy: Policy = Policy()
    """The top-level ``requirements:`` block."""


@cache
def providers_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((resources.files("conformance.schemas") / "providers.schema.json").read_text(encoding="utf-8"))
    return schema


def default_providers_path() -> Path:
    return Path(str(resources.files("conformance") / "default_providers.yaml"))


def load_config(path: Path, environ: dict[str, str] | None = None, *, file_option: str = "--providers") -> Config:
    """The providers file, validated; ``file_option`` is how the user names the file (the CLI's
    ``--providers``, the pytest plugin's ``--conformance-providers``), for the error messages."""
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (pass {file_option} FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    data, lines = _parse_yaml(path, text)

    validator = jsonschema.Draft202012Validator(providers_schema())
    # Shallowest first; at one depth an unknown field comes before a missing one, because a
    # misspelt key ("modles") explains the "missing" one and is what the user must fix.
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: (len(e.absolute_path), e.validator != "additionalProperties", list(map(str, e.absolute_path))),
    )
    if errors:
        raise ConfigError(_describe_schema_error(path, errors[0], lines, data))

    base_settings = Settings().merged(data.get("settings"))
    line_of = lambda where: lines.get(where, "?")  # noqa: E731
    base_policy = policy_from_yaml(Policy(), data.get("requirements"), ("requirements",), str(path), line_of)
    providers: list[ProviderConfig] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["providers"]):
        where = ("providers", index)
        name = raw["name"]
        if name in seen:
            raise ConfigError(
                f"{path}:{lines.get(where + ('name',), '?')}: providers[{index}].name: "
                f"duplicate provider name {name!r} (first used at line {seen[name]}); names must be unique"
            )
        seen[name] = lines.get(where + ("name",), 0)
        provider = _provider(path, raw, where, lines, env, base_settings)
        policy = policy_from_yaml(base_policy, raw.get("requirements"), where + ("requirements",), str(path), line_of)
        provider = replace(provider, policy=policy)
        chat = raw["models"]["chat"]
        providers.extend(provider.columns(chat) if isinstance(chat, list) else [provider])
    return Config(path=path, providers=providers, settings=base_settings, policy=base_policy)


def _provider(
    path: Path,
    raw: dict[str, Any],
    where: tuple[Any, ...],
    lines: dict[tuple[Any, ...], int],
    env: os._Environ[str] | dict[str, str],
    base_settings: Settings,
) -> ProviderConfig:
    missing: dict[str, tuple[Any, ...]] = {}
    substituted: list[str] = []

    def interpolate(value: str, at: tuple[Any, ...]) -> str:
        line = f"{path}:{lines.get(at, lines.get(where, '?'))}: {_dotted(at)}"
        if bare := _BARE_VAR.search(value):
            raise ConfigError(f"{line}: '${bare.group(1)}' is not read from the environment; write ${{{bare.group(1)}}}")
        if _OPEN_VAR.search(value):
            raise ConfigError(f"{line}: '${{' is not closed on a variable name; write ${{NAME}} with NAME made of letters, digits and _")

        def sub(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in env or env[var] == "":
                missing.setdefault(var, at)
                return ""
            substituted.append(env[var])
            return env[var]

        return _VAR.sub(sub, value)

    def scrub(message: str) -> str:
        # An interpolated value may be a secret; keep it out of error messages.
        return Redactor(substituted).text(message)

    api_key = interpolate(raw["api_key"], where + ("api_key",)) if "api_key" in raw else None
    base_url = interpolate(raw["base_url"], where + ("base_url",))
    headers = {k: interpolate(v, where + ("headers", k)) for k, v in (raw.get("headers") or {}).items()}
    query = {k: interpolate(v, where + ("query", k)) for k, v in (raw.get("query") or {}).items()}
    skipped = None
    if missing:
        first_at = next(iter(missing.values()))
        names = ", ".join(sorted(missing))
        skipped = (f"environment variable {names} is not set (referenced by {_dotted(first_at)} at "
                   f"{path.name}:{lines.get(first_at, lines.get(where, '?'))})")
    key_vars = _VAR.findall(raw.get("api_key", ""))
    auth = raw.get("auth", AUTH_BEARER)
    auth = auth["header"] if isinstance(auth, dict) else auth
    if isinstance(raw.get("auth"), dict) and not _HEADER_NAME.fullmatch(auth):
        at = where + ("auth", "header")
        raise ConfigError(f"{path}:{lines.get(at, '?')}: {_dotted(at)}: {auth!r} is not a valid HTTP header name")

    if not skipped:
        # Sent as HTTP header values; httpx/h11 would fail every request on them, one by one.
        sent = [(where + ("api_key",), api_key or "")]
        sent += [(where + ("headers", name), value) for name, value in headers.items()]
        sent += [(where + ("query", name), value) for name, value in query.items()]
        for field_where, value in sent:
            is_header = field_where[-2] == "headers"
            if field_where[-2] == "query":
                if any(c.isspace() or ord(c) < 32 for c in value):
                    raise ConfigError(
                        f"{path}:{lines.get(field_where, '?')}: {_dotted(field_where)}: contains whitespace or a control character (value not shown)"
                    )
                continue
            if is_header and not (isinstance(field_where[-1], str) and _HEADER_NAME.fullmatch(field_where[-1])):
                raise ConfigError(
                    f"{path}:{lines.get(field_where, '?')}: {_dotted(field_where)}: not a valid HTTP header name"
                )
            if not _HEADER_VALUE.fullmatch(value):
                raise ConfigError(
                    f"{path}:{lines.get(field_where, '?')}: {_dotted(field_where)}: contains a line break, control "
                    "or non-ASCII character, which an HTTP header cannot carry (value not shown)"
                )

    overrides = dict(raw.get("settings") or {})
    for shorthand in ("timeout_s", "max_concurrency"):
        if shorthand in raw:
            overrides[shorthand] = raw[shorthand]
    base = base_url.rstrip("/") if not raw["base_url"].startswith(EMBEDDED_PREFIX) else base_url
    if not skipped and not base.startswith(EMBEDDED_PREFIX) and not re.match(r"^https?://[^/\s?#]+[^\s?#]*$", base):
        raise ConfigError(
            f"{path}:{lines.get(where + ('base_url',), '?')}: {_dotted(where + ('base_url',))}: {scrub(repr(raw['base_url']))} is not "
            f"accepted: give the API root as http:// or https:// and a host, usually ending in /v1 (e.g. https://api.example.com/v1), "
            "without ?query or #fragment (use query: for parameters), or embedded:reference for the built-in provider"
        )
    if base.startswith(EMBEDDED_PREFIX):
        from .embedded import parse_embedded

        try:
            parse_embedded(base)
        except ConfigError as exc:
            raise ConfigError(
                f"{path}:{lines.get(where + ('base_url',), '?')}: {_dotted(where + ('base_url',))}: {scrub(str(exc))}"
            ) from None
    return ProviderConfig(
        name=raw["name"],
        base_url=base,
        models={role: model for role, model in raw["models"].items() if role not in ("match", "limit") and isinstance(model, str)},
        sweep=_sweep(path, raw["models"], where + ("models",), lines),
        api_key=api_key or None,
        headers=headers,
        auth=auth,
        query=query,
        request_defaults=dict(raw.get("request_defaults") or {}),
        key_env=key_vars[0] if len(key_vars) == 1 else None,
        settings=base_settings.merged(overrides),
        skipped_reason=skipped,
    )


def _sweep(path: Path, models: dict[str, Any], where: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> ModelSweep | None:
    """``chat: "*"`` with its optional ``match`` and ``limit``; those two mean nothing without it."""
    if models["chat"] == EVERY_MODEL:
        return ModelSweep(match=models.get("match"), limit=models.get("limit"))
    for narrowing in ("match", "limit"):
        if narrowing in models:
            at = where + (narrowing,)
            raise ConfigError(
                f'{path}:{lines.get(at, "?")}: {_dotted(at)}: only applies with chat: "*" (every model GET /models lists); '
                "with a model id or a list of them there is nothing to narrow"
            )
    return None


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None:
            # "expected ']' but got <stream end>" points past the end; the context names the culprit.
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise ConfigError(f"{path}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if node is None:
        raise ConfigError(f"{path}:1: the file is empty; expected a top-level 'providers:' list")
    lines: dict[tuple[Any, ...], int] = {}
    _index_lines(node, (), lines, path)
    return data, lines


def _index_lines(node: yaml.Node, where: tuple[Any, ...], lines: dict[tuple[Any, ...], int], path: Path) -> None:
    """Record the line of every field, and refuse a key given twice in one mapping: YAML loaders
    keep the last one silently, so a second ``api_key:`` would quietly replace the first."""
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = where + (key_node.value,)
            if key in lines and isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: {_dotted(key)}: given twice "
                    f"(first at line {lines[key]}); remove one"
                )
            _index_lines(value_node, key, lines, path)
            lines[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, where + (i,), lines, path)


def _dotted(where: tuple[Any, ...]) -> str:
    return field_path(where) or "(top level)"


def _describe_schema_error(
    path: Path, error: jsonschema.ValidationError, lines: dict[tuple[Any, ...], int], data: Any
) -> str:
    where = tuple(error.absolute_path)
    field_name = _dotted(where)
    line = lines.get(where, lines.get((), 1))
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else "?"
        return f"{path}:{line}: {_dotted(where + (name,))}: required field is missing"
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        name = extra[0] if extra else "?"
        line = lines.get(where + (name,), line)
        properties = error.schema.get("properties") if isinstance(error.schema, dict) else None
        allowed = sorted(properties or {})
        return f"{path}:{line}: {_dotted(where + (name,))}: unknown field (allowed: {', '.join(allowed)})"
    if error.validator == "type" and where == ():
        return f"{path}:{line}: expected a mapping with a top-level 'providers:' list"
    # The offending value may be a secret-bearing string (or a list/mapping holding one):
    # describe the rule it breaks, not its content.
    unsafe = isinstance(error.instance, str) or (isinstance(error.instance, list | dict) and bool(error.instance))
    in_words = (str(where[-1]) if where else "", str(error.validator)) in _IN_WORDS
    return f"{path}:{line}: {field_name}: {_safe(error) if unsafe or in_words else error.message}"


_IN_WORDS: dict[tuple[str, str], str] = {
    ("name", "pattern"): "a provider name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ("chat", "oneOf"): 'models.chat is a model id, a list of distinct model ids, or "*" for every model GET /models lists',
}
"""What a rule means, for the rules whose schema form (a regex) says nothing to a user."""


def _safe(error: jsonschema.ValidationError) -> str:
    last = error.absolute_path[-1] if error.absolute_path else ""
    if words := _IN_WORDS.get((str(last), str(error.validator))):
        return f"not accepted: {words}"
    return f"invalid value ({error.validator} {json.dumps(error.validator_value)[:80]})"


def select_providers(config: Config, names: list[str], option: str = "--provider") -> list[ProviderConfig]:
    """The named providers (all when ``names`` is empty); an unknown name is a usage error naming ``option``."""
    from .errors import UsageError

    if not names:
        return list(config.providers)
    known = {p.name for p in config.providers} | {p.group for p in config.providers if p.group}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"{option} {unknown[0]!r} is not in {config.path} (known: {', '.join(sorted(known))})")
    # A provider of several models is chosen whole by its own name, or one column by provider/model.
    return [p for p in config.providers if p.name in names or p.group in names]
