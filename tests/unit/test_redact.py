"""conformance.redact.Redactor: keeping secrets out of text, headers and nested data.

Covered: the exact key; every 8+-character slice of it (start, middle, end); partial echoes
such as "Incorrect API key provided: sk-ab***wxyz" when the visible part has 8+ characters;
several secrets at once; short secrets (< 8 characters) masked exactly and only exactly;
nested dicts/lists/tuples (keys included, non-strings untouched); credential headers masked
entirely whatever they hold (including a bare key in Authorization), other headers redacted
by content, repeated headers joined; no secrets configured = identity. Property (hypothesis):
for random realistic keys and texts embedding the key or 8+ slices of it among random text,
the output holds neither the key nor any 8-character slice of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.redact import MASK, MIN_SECRET_SLICE, Redactor
from tests.support.keys import SLICE, assert_no_key_slice

KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"


def test_the_redactor_masks_the_documented_slice_width() -> None:
    assert MIN_SECRET_SLICE == SLICE == 8


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"key={KEY};", f"key={MASK};", id="exact_key"),
        pytest.param(f"{KEY}{KEY} and {KEY}", f"{MASK} and {MASK}", id="key_repeated_and_adjacent"),
        pytest.param(KEY[2:30], MASK, id="whole_span_replaced_once_not_per_window"),
        pytest.param(f"x {KEY[4:11]} y", f"x {KEY[4:11]} y", id="seven_character_slice_left_alone"),
        pytest.param(
            f"Incorrect API key provided: {KEY[:10]}***{KEY[-4:]}. You can find your API key at ...",
            f"Incorrect API key provided: {MASK}***{KEY[-4:]}. You can find your API key at ...",
            id="partial_echo_with_stars",
        ),
        pytest.param(f"key ending in ...{KEY[-12:]}", f"key ending in ...{MASK}", id="partial_echo_of_the_tail"),
        pytest.param('{"error": {"message": "bad key \\"' + KEY + '\\""}}', '{"error": {"message": "bad key \\"' + MASK + '\\""}}', id="json_escaped_echo"),
        pytest.param("", "", id="empty_text"),
    ],
)
def test_text_with_one_key(text: str, expected: str) -> None:
    assert Redactor([KEY]).text(text) == expected


@pytest.mark.parametrize(("start", "end"), [(0, 8), (0, 20), (10, 18), (5, 31), (len(KEY) - 8, len(KEY)), (3, len(KEY))])
def test_any_slice_of_eight_or_more_is_replaced(start: int, end: int) -> None:
    piece = KEY[start:end]
    out = Redactor([KEY]).text(f"before {piece} after")
    assert out == f"before {MASK} after"
    assert_no_key_slice(out, KEY)


def test_several_secrets() -> None:
    other = "hf_ZZZZyyyyXXXXwwww1234"
    redactor = Redactor([KEY, other])
    out = redactor.text(f"{other[3:15]} / {KEY} / {other}")
    assert out == f"{MASK} / {MASK} / {MASK}"


def test_regex_metacharacters_in_secret() -> None:
    secret = "a.b*c+d?(e)[f]{g}|h^i$j\\k"
    out = Redactor([secret]).text(f"<{secret}> {secret[4:14]} axbxcxdx")
    assert out == f"<{MASK}> {MASK} axbxcxdx"


def test_short_secret_masked_exactly() -> None:
    redactor = Redactor(["abc123"])
    assert redactor.text("id=abc123&x=1") == f"id={MASK}&x=1"
    # Fragments of a short secret are not secrets (otherwise everything would be masked).
    assert redactor.text("abc12 bc123") == "abc12 bc123"


def test_secret_of_exactly_eight_characters() -> None:
    redactor = Redactor(["12345678"])
    assert redactor.text("a12345678b 1234567") == f"a{MASK}b 1234567"


def test_empty_and_none_secrets_are_ignored() -> None:
    redactor = Redactor(["", None])  # type: ignore[list-item]
    assert redactor.text("anything at all") == "anything at all"
    redactor.add(None)
    redactor.add("")
    assert redactor.text("still") == "still"


def test_no_secrets_is_identity() -> None:
    redactor = Redactor()
    assert redactor.text("sk-whatever") == "sk-whatever"
    assert redactor.data({"a": ["b"]}) == {"a": ["b"]}


def test_add_after_construction() -> None:
    redactor = Redactor()
    redactor.add(KEY)
    redactor.add(KEY)  # idempotent
    assert redactor.text(KEY) == MASK


# --- nested data --------------------------------------------------------------------------------


def test_nested_dicts_and_lists() -> None:
    document: dict[str, Any] = {
        "error": {"message": f"Incorrect API key provided: {KEY[:12]}****", "code": 401},
        "echo": [KEY, {"deep": [f"x{KEY[8:20]}y"]}],
        "tuple": ("plain", KEY),
        KEY: "key used as a key",
        "ok": True,
        "none": None,
        "n": 1.5,
    }
    out = Redactor([KEY]).data(document)
    assert out == {
        "error": {"message": f"Incorrect API key provided: {MASK}****", "code": 401},
        "echo": [MASK, {"deep": [f"x{MASK}y"]}],
        "tuple": ["plain", MASK],
        MASK: "key used as a key",
        "ok": True,
        "none": None,
        "n": 1.5,
    }
    assert document["echo"][0] == KEY  # the input is not modified


def test_data_on_scalars() -> None:
    redactor = Redactor([KEY])
    assert redactor.data(KEY) == MASK
    assert redactor.data(7) == 7
    assert redactor.data(None) is None


# --- headers --------------------------------------------------------------------------------------


def test_authorization_keeps_scheme_only() -> None:
    out = Redactor([KEY]).headers([("Authorization", f"Bearer {KEY}")])
    assert out == {"authorization": f"Bearer {MASK}"}


def test_authorization_with_unknown_token_is_masked_even_if_not_a_known_secret() -> None:
    out = Redactor().headers([("Authorization", "Bearer some-other-token"), ("Proxy-Authorization", "Basic dXNlcjpw")])
    assert out == {"authorization": f"Bearer {MASK}", "proxy-authorization": f"Basic {MASK}"}


def test_authorization_with_bare_key_is_masked_entirely() -> None:
    redactor = Redactor()  # even a key the redactor does not know
    assert redactor.headers([("Authorization", "sk-unknown-1234567890")]) == {"authorization": MASK}
    assert redactor.headers([("Authorization", "sk-unknown-1234567890 extra")]) == {"authorization": MASK}


@pytest.mark.parametrize("name", ["api-key", "X-API-Key", "Cookie", "Set-Cookie", "proxy-authorization"])
def test_credential_headers_masked_entirely(name: str) -> None:
    out = Redactor().headers([(name, "Bearer anything at all")])
    expected = f"Bearer {MASK}" if name.lower().endswith("authorization") else MASK
    assert out == {name.lower(): expected}


def test_other_headers_are_redacted_by_content() -> None:
    out = Redactor([KEY]).headers([("X-Echo", f"got {KEY[5:17]}"), ("Content-Type", "application/json")])
    assert out == {"x-echo": f"got {MASK}", "content-type": "application/json"}


def test_repeated_headers_are_joined() -> None:
    out = Redactor([KEY]).headers([("X-Multi", "a"), ("x-multi", KEY), ("Set-Cookie", "s=1"), ("Set-Cookie", "t=2")])
    assert out == {"x-multi": f"a, {MASK}", "set-cookie": f"{MASK}, {MASK}"}


def test_header_name_holding_a_secret_is_redacted() -> None:
    out = Redactor([KEY]).headers([(f"x-{KEY}", "v")])
    assert out == {f"x-{MASK}": "v"}


# --- property -------------------------------------------------------------------------------------

_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_keys = st.text(st.sampled_from(_KEY_ALPHABET), min_size=16, max_size=64).filter(
    # "REDACTED" is itself an 8-character run; a key containing it would "appear" in the mask.
    lambda k: "REDACTED" not in k
)
_noise = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@st.composite
def key_and_text(draw: st.DrawFn) -> tuple[str, str]:
    key = draw(_keys)
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        pieces.append(draw(_noise))
        if draw(st.booleans()):
            pieces.append(key)
        else:
            start = draw(st.integers(0, len(key) - SLICE))
            end = draw(st.integers(start + SLICE, len(key)))
            pieces.append(key[start:end])
    pieces.append(draw(_noise))
    return key, "".join(pieces)


@settings(max_examples=200, deadline=None)
@given(key_and_text())
def test_no_eight_character_slice_survives(case: tuple[str, str]) -> None:
    key, text = case
    out = Redactor([key]).text(text)
    assert MASK in out
    assert_no_key_slice(out, key)


def strings(value: object) -> list[str]:
    """Every string inside nested data, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


@settings(max_examples=200, deadline=None)
@given(key_and_text(), st.sampled_from(["list", "dict", "header"]))
def test_no_slice_survives_in_data_or_headers(case: tuple[str, str], where: str) -> None:
    key, text = case
    redactor = Redactor([key])
    if where == "list":
        out = redactor.data([[text], {"k": (text,)}])
    elif where == "dict":
        out = redactor.data({text: {"inner": text}})
    else:
        out = redactor.headers([("x-echo", text), ("authorization", f"Bearer {text}")])
    found = strings(out)
    assert len(found) >= 2
    for piece in found:
        assert_no_key_slice(piece, key)


MIXED_CASE_KEY = "sk-AbCdEfGhIjKlMnOpQrSt1234"


@pytest.mark.parametrize(
    "echo",
    [MIXED_CASE_KEY.upper(), MIXED_CASE_KEY.lower(), MIXED_CASE_KEY.swapcase()[5:20]],
    ids=["upper", "lower", "slice_swapped"],
)
def test_an_echo_in_another_case_is_masked_too(echo: str) -> None:
    text = Redactor([MIXED_CASE_KEY]).text(f"Incorrect API key provided: {echo}.")
    assert echo not in text and "[REDACTED]" in text


def regex_only(secrets: list[str]) -> Redactor:
    """A redactor that searches every text with its regex, as before the ASCII pre-filter."""
    redactor = Redactor(secrets)
    redactor._needles = None
    return redactor


_echo_case = st.sampled_from([str, str.upper, str.lower, str.swapcase])
_lookalike_secrets = st.sampled_from(["K\u212aey-0123456789", "ſk-secret-0123", "s0s1s2s3s4s5s6s7", "i0i1i2i3i4i5i6i7"])
_any_secret = st.one_of(_keys, st.text(min_size=1, max_size=12), _lookalike_secrets)


@settings(max_examples=300, deadline=None)
@given(_any_secret, st.lists(st.one_of(_noise, st.sampled_from(["\u212a", "ſ", "ı", "İ"])), max_size=4), _echo_case, st.integers(0, 40))
def test_the_ascii_prefilter_never_changes_what_is_masked(secret: str, noise: list[str], case: Any, cut: int) -> None:
    """The pre-filter only skips texts the regex would not touch: the same output on every text,
    including non-ASCII ones whose case folding differs (the Kelvin sign, the long s, dotless i)."""
    text = noise[0] if noise else ""
    text += case(secret[cut % len(secret):]) + "".join(noise[1:]) + case(secret)[: max(cut, 8)]
    assert Redactor([secret]).text(text) == regex_only([secret]).text(text)


@pytest.mark.parametrize("letter, lookalike", [("s", "ſ"), ("i", "ı"), ("i", "İ")], ids=["long_s", "dotless_i", "dotted_I"])
def test_an_ascii_key_echoed_with_a_unicode_lookalike_is_still_masked(letter: str, lookalike: str) -> None:
    """Case-insensitive regex matching takes these for ASCII letters while str.lower() does not; such
    a text is not ASCII, so it skips the pre-filter and the regex decides."""
    key = "".join(f"{letter}{digit}" for digit in range(10))  # every 8-character slice holds the letter
    echo = key.replace(letter, lookalike)
    assert Redactor([key]).text(f"echo {echo}") == f"echo {MASK}"
