"""Fuzzing the config item and the control center it renders (hypothesis).

1. Any JSON-like item: `parse_config` returns a config or raises ConfigError naming real fields, nothing else.
2. Any valid config: its headers render into a function that node serves byte for byte on the secret path only.
3. CR, LF or NUL in a header value is rejected by `parse_config`, naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.validation import ConfigError
from p2p_core.control_center.headers import control_center_headers
from p2p_core.control_center.render import MAX_CODE_BYTES, MAX_HEADER_BYTES, ControlCenterError, render_function
from p2p_core.control_center.served import SERVED_HEADERS
from p2p_core.regions import commercial_regions
from p2p_core.timemodel import effective_window
from p2p_emulator.cloudfront import NodeFunctionRunner, response_headers, viewer_request_event
from tests.tiers import examples

SECRET = "/secret"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIELDS = tuple(ConfigItem.model_fields)
REGIONS = commercial_regions()
SECTIONS: dict[str, tuple[str, ...]] = {
    name: tuple(info.annotation.model_fields)
    for name, info in ConfigItem.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
}
HEADER_FIELDS = ("main_run", "pre_run", "post_run", "repository")
FORBIDDEN = (("\r", "CR"), ("\n", "LF"), ("\0", "NUL"))
TRICKY = [
    "it's", 'say "hi"', "C:\\path\\n \\u0041", "`rm -rf /`", "</script><script>alert(1)</script>", "${x}",
    "${process.exit(1)}", '"; throw new Error("x"); var y = "', "\u2028\u2029", "𝄞 日本語 ☃", "", " ", "-",
    "__proto__", "\t\x1b[31m\x7f",
]  # fmt: skip


@pytest.fixture(scope="module")
def node() -> Iterator[NodeFunctionRunner]:
    with NodeFunctionRunner() as runner:
        yield runner


# --- 1. arbitrary JSON-like items -------------------------------------------------------------------------

texts = st.text(
    alphabet=st.one_of(
        st.characters(),  # any unicode except surrogates, control characters included
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates: json.loads("\"\\ud800\"")
    ),
    max_size=30,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN and +-Infinity included (json.loads accepts them)
    texts,
    st.sampled_from(["", "-", "now", "all", "aws", "7", " 3 ", "2 hours", "rate(1 hour)", "2026-12-01T09:00:00Z"]),
    st.sampled_from(REGIONS),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(texts, st.sampled_from([*REGIONS, "all", "aws"])), inner, max_size=4),
    ),
    max_leaves=12,
)
# the empty key is named '' in errors (see test_unknown_keys_are_named_verbatim), which the owner check
# below cannot match; a top-level key with a lone surrogate is reported as "(item)" by pydantic itself


def plain_unknown_key(key: str) -> bool:
    return key not in FIELDS and key != "pk" and key != ""


unknown_keys = st.text(max_size=30).filter(plain_unknown_key)


@st.composite
def section_values(draw: st.DrawFn, name: str) -> Any:
    """A field's value; for sub-models, usually a map of their real field names so the fuzz goes deeper."""
    if name in SECTIONS and draw(st.booleans()):
        known = st.dictionaries(st.sampled_from(SECTIONS[name]), json_like, max_size=4)
        unknown = st.dictionaries(unknown_keys, json_like, max_size=1)
        return {**draw(unknown), **draw(known)}
    return draw(json_like)


@st.composite
def raw_items(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True))
    item = {name: draw(section_values(name)) for name in names}
    for key in draw(st.lists(unknown_keys, max_size=2, unique=True)):
        item[key] = draw(json_like)
    return item


@settings(max_examples=examples(600), deadline=None)
@given(raw_items())
def test_any_item_parses_or_raises_config_error_naming_real_fields(item: dict[str, Any]) -> None:
    try:
        parse_config(item)
    except ConfigError as exc:
        error = exc
    else:
        return
    assert error.errors, "ConfigError without any field error"
    summary = error.summary()
    unknown = [k for k in item if k not in FIELDS]
    for e in error.errors:
        assert e.field, f"empty field in {e}"
        owners = [name for name in (*FIELDS, *unknown) if e.field == name or e.field.startswith(name + ".")]
        assert owners, f"{e.field!r} does not start with a field of the item: {summary}"
        assert f"  {e.field}: " in summary


# --- 2. valid configs round-trip through node --------------------------------------------------------------

header_texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\0"), max_size=80),
    st.lists(st.sampled_from(TRICKY), max_size=4).map("".join),
    # long values, so some configs come near or over the 10 KB function limit (non-ASCII costs 6-12 bytes)
    st.tuples(st.sampled_from(["x", "é", "𝄞", "</", '"\\', "${x}"]), st.integers(100, 1200)).map(lambda t: t[0] * t[1]),
)
# names of extra headers: never one the control center serves itself (that is refused, see test_config_errors)
extra_names = st.from_regex(r"cc-[a-z0-9-]{1,20}", fullmatch=True).filter(lambda n: n not in SERVED_HEADERS)
counts = st.integers(0, 50)
levels = st.one_of(counts, st.just("-"))
capacities = st.one_of(
    counts,
    st.fixed_dictionaries(
        {},
        optional={
            "all": levels,
            "aws": st.one_of(levels, st.dictionaries(st.sampled_from([*REGIONS, "all"]), levels, max_size=4)),
        },
    ),
)
stamps = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
spans = st.tuples(st.integers(1, 500), st.sampled_from(sorted(UNITS)))
durations = spans.map(lambda t: f"{t[0]} {t[1]}{'s' if t[0] != 1 else ''}")


def rfc3339(moment: datetime, offset_minutes: int) -> str:
    if offset_minutes == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()


@st.composite
def valid_items(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {
        "regions": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=5, unique=True)),
        "desired_capacity": draw(capacities),
        "max_size": 50,
        "start_offset": draw(durations),
        "agent": {name: draw(header_texts) for name in draw(st.sets(st.sampled_from(HEADER_FIELDS)))},
        "control_center": {"extra_headers": draw(st.dictionaries(extra_names, header_texts, max_size=8))},
    }
    item["agent"].update(draw(st.fixed_dictionaries({}, optional={"delay": st.integers(0, 3600)})))
    start: datetime | None = draw(st.one_of(st.none(), stamps))  # None: start_time "now"
    if start is None:
        item["start_time"] = "now"
        if draw(st.booleans()):
            item["updated_at"] = draw(stamps).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        item["start_time"] = rfc3339(start, draw(st.sampled_from([0, 0, 60, -330, 840])))
    stop = draw(st.sampled_from(["default", "none", "duration", "time"]))
    if stop == "none":
        item["run_duration"] = None
    elif stop == "duration":
        item["run_duration"] = draw(durations)
    elif stop == "time" and start is not None:
        offset = parse_config({"start_offset": item["start_offset"]}).start_offset
        count, unit = draw(spans)
        later = start + offset + timedelta(seconds=count * UNITS[unit])
        item["stop_time"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    return item


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=valid_items())
def test_valid_config_headers_are_served_exactly_on_the_secret_path(
    node: NodeFunctionRunner, item: dict[str, Any]
) -> None:
    config = parse_config(item)
    window = effective_window(config, NOW)
    headers = control_center_headers(config, window)
    try:
        code = render_function(headers, SECRET)
    except ControlCenterError as exc:
        assert re.search(rf"over CloudFront's ({MAX_CODE_BYTES}-byte function|{MAX_HEADER_BYTES}-byte) limit", str(exc))
        event("too big to serve")
        return
    size = len(code.encode())
    event("served, " + ("under 4 KB" if size < 4096 else "4-9 KB" if size < 9216 else "9-10 KB"))
    found = node.run(code, viewer_request_event("HEAD", SECRET, {}))
    assert found["statusCode"] == 200
    served = response_headers(found)
    assert served == headers
    assert list(served) == list(headers)
    assert served["cc-a-main-run"] == config.agent.main_run
    for name, value in config.control_center.extra_headers.items():
        assert served[name] == value
    other = node.run(code, viewer_request_event("HEAD", "/other", {}))
    assert other["statusCode"] == 404
    assert response_headers(other) == {}


# --- 3. control characters in header values ---------------------------------------------------------------


@st.composite
def poisoned(draw: st.DrawFn) -> str:
    head = draw(header_texts)
    tail = draw(header_texts)
    bad = draw(st.text(st.sampled_from("\r\n\0"), min_size=1, max_size=3))
    return head + bad + tail


@st.composite
def items_with_a_bad_header(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    value = draw(poisoned())
    label = next(label for char, label in FORBIDDEN if char in value)
    if draw(st.booleans()):
        name = draw(st.sampled_from(HEADER_FIELDS))
        return {"agent": {name: value}}, f"agent.{name}", label
    name = draw(extra_names)
    extra = draw(st.dictionaries(extra_names, header_texts, max_size=3))
    extra[name] = value
    return {"control_center": {"extra_headers": extra}}, f"control_center.extra_headers.{name}", label


@settings(max_examples=examples(200), deadline=None)
@given(items_with_a_bad_header())
def test_control_characters_in_header_values_are_rejected_naming_the_field(
    case: tuple[dict[str, Any], str, str],
) -> None:
    item, field, label = case
    with pytest.raises(ConfigError) as caught:
        parse_config(item)
    named = [e for e in caught.value.errors if e.field == field]
    assert named, f"{field} not named: {caught.value.summary()}"
    assert label in named[0].message
    assert [e.field for e in caught.value.errors] == [field]


# --- what the fuzz above found once (fixed; kept as plain examples) ---


@pytest.mark.parametrize(
    "item",
    [
        {"desired_capacity": float("inf")},
        {"desired_capacity": {"aws": {"eu-west-1": float("inf")}}},
        {"network": {"open_ports": [float("-inf")]}},
    ],
    ids=["capacity", "capacity-region", "open-port"],
)
def test_infinity_is_a_config_error(item: dict[str, Any]) -> None:
    # json.loads('{"desired_capacity": Infinity}') gives exactly this item
    with pytest.raises(ConfigError):
        parse_config(item)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"str": 1}, "str"),
        ({"list[int]": 1}, "list[int]"),
        ({"": 1}, "''"),
        ({"agent": {"bool": 1}}, "agent.bool"),
    ],
    ids=["str", "list-int", "empty", "nested-bool"],
)
def test_unknown_keys_are_named_verbatim(item: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(item)
    assert [e.field for e in caught.value.errors] == [field]


@pytest.mark.parametrize(
    "item",
    [{"agent": {"main_run": "site\ud800.yml"}}, {"control_center": {"extra_headers": {"cc-x": "\udfff"}}}],
    ids=["main-run", "extra-header"],
)
def test_a_lone_surrogate_in_a_header_value_is_rejected(item: dict[str, Any]) -> None:
    # json.loads('"\\ud800"') gives a lone surrogate; it cannot be sent as UTF-8 header bytes
    with pytest.raises(ConfigError, match="lone surrogate"):
        parse_config(item)
    headers = {"cc-a-main-run": "site\ud800.yml"}  # and the renderer refuses one too
    with pytest.raises(ControlCenterError, match="not valid unicode"):
        render_function(headers, SECRET)
