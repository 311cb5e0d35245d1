"""Label selectors: string syntax, matching, and the LabelSelector / node selector converters."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.api._frozen import FrozenDict
from kube_actors.api.meta import LabelSelector, LabelSelectorRequirement
from kube_actors.api.selectors import (
    Operator,
    Requirement,
    Selector,
    SelectorError,
    node_selector_requirements_match,
    parse_selector,
    selector_from_label_selector,
    selector_from_node_selector_requirements,
    selector_from_set,
)

# --- parsing: canonical string form ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("   ", ""),
        ("a=b", "a=b"),
        ("a==b", "a=b"),
        ("a!=b", "a!=b"),
        (" a = b ", "a=b"),
        ("\ta\n=\rb", "a=b"),
        ("b=2,a=1", "a=1,b=2"),
        ("b = 2 , a = 1", "a=1,b=2"),
        ("x in (c,a,b)", "x in (a,b,c)"),
        ("x in ( c , a )", "x in (a,c)"),
        ("x in(b)", "x in (b)"),
        ("x notin (b,a)", "x notin (a,b)"),
        ("x in (a,a)", "x in (a)"),
        ("a", "a"),
        ("!a", "!a"),
        ("! a", "!a"),
        ("x>1", "x>1"),
        ("x < 5", "x<5"),
        ("x>01", "x>01"),
        # Empty values, as upstream: "a=" needs the empty value, "()" is the set {""}.
        ("a=", "a="),
        ("a=,b", "a=,b"),
        ("a in ()", "a in ()"),
        ("a in (,b)", "a in (,b)"),
        ("a in (b,)", "a in (,b)"),
        ("a in (b,,c)", "a in (,b,c)"),
        # "in" and "notin" are ordinary words where a key or a value is expected.
        ("in in (in,notin)", "in in (in,notin)"),
        ("a=in", "a=in"),
        ("notin", "notin"),
        ("!in", "!in"),
        ("k8s.io/a=web,example.com/b notin (db)", "example.com/b notin (db),k8s.io/a=web"),
        # Sorted by key, stable for the same key; duplicates are kept.
        ("b,a=1,a!=2", "a=1,a!=2,b"),
        ("a!=2,a=1", "a!=2,a=1"),
        ("a,a", "a,a"),
        (
            "z,!y,x>3,w<4,v notin (q),u in (p),t!=o,s==n,r=m",
            "r=m,s=n,t!=o,u in (p),v notin (q),w<4,x>3,!y,z",
        ),
    ],
)
def test_parse_canonical(text: str, canonical: str) -> None:
    selector = parse_selector(text)
    assert str(selector) == canonical
    assert parse_selector(canonical) == selector


def test_double_equals_is_equals() -> None:
    assert parse_selector("a==b") == parse_selector("a=b")
    assert parse_selector("a==b").requirements[0].operator is Operator.EQUALS


def test_parse_builds_requirements() -> None:
    assert parse_selector("x in (b,a), !y, z>3").requirements == (
        Requirement("x", Operator.IN, ("a", "b")),
        Requirement("y", Operator.DOES_NOT_EXIST),
        Requirement("z", Operator.GT, ("3",)),
    )


def test_empty_string_is_everything() -> None:
    assert parse_selector("") == Selector.everything()
    assert parse_selector("").is_empty()


def test_parse_is_memoised() -> None:
    assert parse_selector("app=web,tier") is parse_selector("app=web,tier")


# --- parsing: errors name the token and its position -----------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a in (b", 'expected ")" at position 7'),
        ("a=b c", 'unexpected "c" at position 4, expected "," or end of string'),
        ("a=b=c", 'unexpected "=" at position 3'),
        ("a=b,", 'expected a label key or "!" at position 4'),
        ("a=b,,c", 'unexpected "," at position 4'),
        (",a", 'unexpected "," at position 0'),
        ("(", 'unexpected "(" at position 0, expected a label key or "!"'),
        ("!", "expected a label key at position 1"),
        ("!!a", 'unexpected "!" at position 1, expected a label key'),
        ("a b", 'unexpected "b" at position 2, expected an operator'),
        ("a!", 'unexpected "!" at position 1, expected an operator'),
        ("a in b", 'unexpected "b" at position 5, expected "("'),
        ("a in", 'expected "(" at position 4'),
        ("a in (b c)", 'unexpected "c" at position 8, expected "," or ")"'),
        ("a in (=)", 'unexpected "=" at position 6, expected a value, "," or ")"'),
        ("a in (b,", 'expected ")" at position 8'),
        ("a=(b)", 'unexpected "(" at position 2, expected a value'),
        ("!a=b", 'unexpected "=" at position 2, expected "," or end of string'),
        ("!a in (b)", 'unexpected "in" at position 3'),
        ("a<=1", 'unexpected "=" at position 2, expected a value'),
        ("a===b", 'unexpected "=" at position 3, expected a value'),
        (
            "a>b",
            'invalid value "b" for key "a" at position 2: '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ("a > 1.5", 'invalid value "1.5" for key "a" at position 4'),
        ("a>", 'invalid value "" for key "a" at position 2'),
        ("a>99999999999999999999", 'invalid value "99999999999999999999"'),
        ("a>-1", 'invalid label value "-1" for key "a" at position 2: a valid label must be'),
        ("-a=b", 'invalid label key "-a" at position 0: name part must consist of'),
        ("x, a/b/c", 'invalid label key "a/b/c" at position 3: a qualified name must consist'),
        ("Example.com/a", 'key "Example.com/a" at position 0: prefix part a lowercase RFC 1123'),
        ("a=-b", 'invalid label value "-b" for key "a" at position 2'),
        ("a in (b,-c)", 'invalid label value "-c" for key "a" at position 8'),
        ("a=" + "x" * 64, "at position 2: must be no more than 63 characters"),
        ("a=b\x0bc", 'invalid label value "b\x0bc"'),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert str(info.value).startswith(f'invalid selector "{text}": ')
    assert message in str(info.value)


def test_selector_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=re.escape('unexpected "c" at position 4')):
        parse_selector("a=b c")


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", {}, True),
        ("", {"a": "b"}, True),
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a=b", {}, False),
        ("a=", {"a": ""}, True),
        ("a=", {}, False),
        ("a!=b", {"a": "c"}, True),
        ("a!=b", {"a": "b"}, False),
        ("a!=b", {}, True),  # absent label: != matches
        ("a in (x,y)", {"a": "y"}, True),
        ("a in (x,y)", {"a": "z"}, False),
        ("a in (x,y)", {}, False),
        ("a in ()", {"a": ""}, True),
        ("a in ()", {}, False),
        ("a notin (x,y)", {"a": "x"}, False),
        ("a notin (x,y)", {"a": "z"}, True),
        ("a notin (x,y)", {}, True),  # absent label: notin matches
        ("a", {"a": ""}, True),
        ("a", {"b": "a"}, False),
        ("!a", {}, True),
        ("!a", {"a": ""}, False),
        ("!a", {"b": "1"}, True),
        ("a>5", {"a": "6"}, True),
        ("a>5", {"a": "5"}, False),
        ("a>5", {"a": "+6"}, True),  # Go's ParseInt takes a sign
        ("a>5", {"a": "06"}, True),
        ("a>5", {}, False),  # Gt never matches a missing label ...
        ("a>5", {"a": "abc"}, False),  # ... nor a non-integer one
        ("a>5", {"a": "6.0"}, False),
        ("a>5", {"a": " 6"}, False),
        ("a>5", {"a": "1_0"}, False),
        ("a>5", {"a": "٦"}, False),  # non-ASCII digit
        ("a>5", {"a": "9223372036854775807"}, True),
        ("a>5", {"a": "9223372036854775808"}, False),  # past int64: not an integer
        ("a<5", {"a": "-3"}, True),
        ("a<5", {"a": "5"}, False),
        ("a<5", {"a": "-9223372036854775809"}, False),
        ("a<5", {}, False),
        ("a<5", {"a": ""}, False),
        ("a=b,c", {"a": "b", "c": "d"}, True),
        ("a=b,c", {"a": "b"}, False),
        ("a=1,a!=1", {"a": "1"}, False),
        ("env notin (prod),!canary,tier in (web)", {"tier": "web", "env": "dev"}, True),
        ("env notin (prod),!canary,tier in (web)", {"tier": "web", "canary": "true"}, False),
    ],
)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


def test_matches_any_mapping() -> None:
    labels = FrozenDict({"app": "web"})
    assert parse_selector("app=web").matches(labels)


# --- Requirement -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "text"),
    [
        (Requirement("a", Operator.EQUALS, ["b"]), "a=b"),
        (Requirement("a", "=", ["b"]), "a=b"),
        (Requirement("a", "==", ["b"]), "a=b"),
        (Requirement("a", "NotEquals", ["b"]), "a!=b"),
        (Requirement("a", "In", ["c", "b", "c"]), "a in (b,c)"),
        (Requirement("a", "notin", ["b"]), "a notin (b)"),
        (Requirement("a", "Exists"), "a"),
        (Requirement("a", "!"), "!a"),
        (Requirement("a", "Gt", ["5"]), "a>5"),
        (Requirement("a", ">", ["5"]), "a>5"),
        (Requirement("a", "lt", ["5"]), "a<5"),
    ],
)
def test_requirement_str(requirement: Requirement, text: str) -> None:
    assert str(requirement) == text


def test_requirement_values_are_normalised() -> None:
    first = Requirement("a", "In", ["y", "x", "y"])
    assert first.values == ("x", "y")
    assert first == Requirement("a", Operator.IN, ("x", "y"))
    assert hash(first) == hash(Requirement("a", "in", ["x", "y"]))


@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        ("a", "In", [], "values: Invalid value: []: for 'in', 'notin' operators, values set can"),
        ("a", "NotIn", [], "values set can't be empty"),
        ("a", "=", [], "exact-match compatibility requires one single value"),
        ("a", "!=", ["x", "y"], "exact-match compatibility requires one single value"),
        ("a", "Exists", ["x"], "values set must be empty for exists and does not exist"),
        ("a", "DoesNotExist", ["x"], "values set must be empty for exists and does not exist"),
        ("a", "Gt", ["1", "2"], "for 'Gt', 'Lt' operators, exactly one value is required"),
        ("a", "Lt", ["x"], "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value"),
        ("-a", "Exists", [], 'key: Invalid value: "-a": name part must consist of'),
        ("a", "In", ["ok", "-bad"], 'values[1]: Invalid value: "-bad": a valid label must be'),
    ],
)
def test_requirement_validation(key: str, operator: str, values: list[str], message: str) -> None:
    with pytest.raises(SelectorError, match=re.escape(message)):
        Requirement(key, operator, values)


def test_requirement_unknown_operator() -> None:
    with pytest.raises(SelectorError, match='unknown selector operator "Contains"'):
        Requirement("a", "Contains", ["b"])


def test_requirement_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError, match="not the string"):
        Requirement("a", "In", "abc")


# --- Selector --------------------------------------------------------------------------------


def test_everything_and_nothing() -> None:
    everything, nothing = Selector.everything(), Selector.nothing()
    assert everything.matches({})
    assert everything.matches({"a": "b"})
    assert not nothing.matches({})
    assert not nothing.matches({"a": "b"})
    assert str(everything) == str(nothing) == ""
    assert everything.is_empty()
    assert not nothing.is_empty()
    assert everything != nothing
    assert Selector() == everything
    assert nothing.add(Requirement("a", "Exists")) is nothing
    assert nothing.requires_exact_match("a") is None


def test_nothing_cannot_have_requirements() -> None:
    with pytest.raises(ValueError, match="cannot have requirements"):
        Selector([Requirement("a", "Exists")], selects_nothing=True)


def test_selector_sorts_requirements_stably() -> None:
    a1, a2, b = Requirement("a", "!=", ["1"]), Requirement("a", "=", ["2"]), Requirement("b", "!")
    assert Selector([b, a1, a2]).requirements == (a1, a2, b)
    assert Selector([b, a2, a1]).requirements == (a2, a1, b)


def test_selector_add() -> None:
    selector = parse_selector("b=2")
    assert str(selector.add(Requirement("a", "Exists"), Requirement("c", "!"))) == "a,b=2,!c"
    assert selector.add() is selector


def test_selector_is_hashable() -> None:
    cache = {parse_selector("a=1,b"): "x"}
    assert cache[Selector([Requirement("b", "Exists"), Requirement("a", "=", ["1"])])] == "x"


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("app=web", "app", "web"),
        ("app==web,tier", "app", "web"),
        ("app in (web)", "app", "web"),
        ("app in (web,db)", "app", None),
        ("app!=web", "app", None),
        ("app notin (web)", "app", None),
        ("app", "app", None),
        ("tier=web", "app", None),
        ("app!=x,app=y", "app", "y"),
        ("", "app", None),
    ],
)
def test_requires_exact_match(text: str, key: str, value: str | None) -> None:
    assert parse_selector(text).requires_exact_match(key) == value


# --- LabelSelector ---------------------------------------------------------------------------


def req(key: str, operator: str, *values: str) -> LabelSelectorRequirement:
    return LabelSelectorRequirement(key=key, operator=operator, values=values)


def test_label_selector_none_selects_nothing() -> None:
    assert selector_from_label_selector(None) == Selector.nothing()


def test_empty_label_selector_selects_everything() -> None:
    assert selector_from_label_selector(LabelSelector()) == Selector.everything()


def test_label_selector_conversion() -> None:
    ls = LabelSelector(
        match_labels={"tier": "web", "app": "shop"},
        match_expressions=[
            req("env", "NotIn", "prod", "canary"),
            req("app", "In", "shop", "store"),
            req("gpu", "DoesNotExist"),
            req("zone", "Exists"),
        ],
    )
    selector = selector_from_label_selector(ls)
    assert str(selector) == (
        "app=shop,app in (shop,store),env notin (canary,prod),!gpu,tier=web,zone"
    )
    assert selector.matches({"app": "shop", "tier": "web", "zone": "a"})
    assert not selector.matches({"app": "shop", "tier": "web", "zone": "a", "env": "prod"})
    assert not selector.matches({"app": "shop", "tier": "web"})
    assert selector.requires_exact_match("app") == "shop"
    # Equal LabelSelectors are converted once.
    assert selector_from_label_selector(attrs.evolve(ls)) is selector


UNSUPPORTED_LS = (
    'Unsupported value: "Gt": supported values: "In", "NotIn", "Exists", "DoesNotExist"'
)


@pytest.mark.parametrize(
    ("ls", "messages"),
    [
        (
            LabelSelector(match_expressions=[req("a", "Gt", "1")]),
            ["matchExpressions[0].operator: " + UNSUPPORTED_LS],
        ),
        (
            LabelSelector(match_expressions=[req("a", "in", "x")]),
            ['matchExpressions[0].operator: Unsupported value: "in"'],
        ),
        (
            LabelSelector(match_expressions=[req("a", "Exists"), req("b", "In")]),
            [
                "matchExpressions[1].values: Invalid value: []: "
                "for 'in', 'notin' operators, values set can't be empty"
            ],
        ),
        (
            LabelSelector(match_expressions=[req("a", "Exists", "x")]),
            [
                'matchExpressions[0].values: Invalid value: ["x"]: '
                "values set must be empty for exists and does not exist"
            ],
        ),
        (
            LabelSelector(match_expressions=[req("a/b/c", "Exists")]),
            ['matchExpressions[0].key: Invalid value: "a/b/c"'],
        ),
        (
            LabelSelector(match_expressions=[req("a", "In", "-x")]),
            ['matchExpressions[0].values[0]: Invalid value: "-x"'],
        ),
        (
            LabelSelector(match_labels={"-a": "b"}),
            ['matchLabels: Invalid value: "-a": name part'],
        ),
        (
            LabelSelector(match_labels={"a": "-b"}),
            ['matchLabels[a]: Invalid value: "-b": a valid label'],
        ),
        (
            LabelSelector(
                match_labels={"a": "-b"},
                match_expressions=[req("c", "Bogus"), req("d", "NotIn")],
            ),
            ["matchLabels[a]", "matchExpressions[0].operator", "matchExpressions[1].values"],
        ),
    ],
)
def test_label_selector_errors(ls: LabelSelector, messages: list[str]) -> None:
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector(ls)
    assert str(info.value).startswith("invalid label selector: ")
    for message in messages:
        assert message in str(info.value)


# --- node selectors --------------------------------------------------------------------------


@attrs.define
class NodeReq:
    """A stand-in for NodeSelectorRequirement: mutable, with list values (any shape works)."""

    key: str
    operator: str
    values: list[str] = attrs.field(factory=list)


@pytest.mark.parametrize(
    ("reqs", "labels", "expected"),
    [
        ([], {"a": "b"}, False),  # an empty term matches no node
        ([NodeReq("zone", "In", ["a", "b"])], {"zone": "b"}, True),
        ([NodeReq("zone", "In", ["a", "b"])], {}, False),
        ([NodeReq("zone", "NotIn", ["a"])], {}, True),
        ([NodeReq("gpu", "Exists")], {"gpu": ""}, True),
        ([NodeReq("gpu", "DoesNotExist")], {"gpu": ""}, False),
        ([NodeReq("cpu", "Gt", ["4"])], {"cpu": "8"}, True),
        ([NodeReq("cpu", "Gt", ["4"])], {"cpu": "4"}, False),
        ([NodeReq("cpu", "Gt", ["4"])], {"cpu": "many"}, False),
        ([NodeReq("cpu", "Gt", ["4"])], {}, False),
        ([NodeReq("cpu", "Lt", ["4"])], {"cpu": "2"}, True),
        ([NodeReq("cpu", "Lt", ["4"])], {}, False),
        ([NodeReq("c", "Gt", ["4"]), NodeReq("z", "In", ["a"])], {"c": "8", "z": "a"}, True),
        ([NodeReq("c", "Gt", ["4"]), NodeReq("z", "In", ["a"])], {"c": "8", "z": "b"}, False),
        # Invalid requirements never match (upstream reports them at validation, not here).
        ([NodeReq("zone", "Equals", ["a"])], {"zone": "a"}, False),
        ([NodeReq("cpu", "Gt", ["four"])], {"cpu": "8"}, False),
        ([NodeReq("zone", "In", [])], {"zone": ""}, False),
    ],
)
def test_node_selector_requirements_match(
    reqs: list[NodeReq], labels: dict[str, str], expected: bool
) -> None:
    assert node_selector_requirements_match(reqs, labels) is expected


def test_node_selector_conversion() -> None:
    reqs = [
        NodeReq("zone", "In", ["b", "a"]),
        NodeReq("cpu", "Gt", ["4"]),
        NodeReq("spot", "DoesNotExist"),
    ]
    selector = selector_from_node_selector_requirements(reqs)
    assert str(selector) == "cpu>4,!spot,zone in (a,b)"
    assert selector_from_node_selector_requirements([]) == Selector.nothing()
    # LabelSelectorRequirement has the same shape and works too.
    assert str(selector_from_node_selector_requirements([req("k", "Lt", "3")])) == "k<3"


@pytest.mark.parametrize(
    ("reqs", "message"),
    [
        (
            [NodeReq("a", "Equals", ["x"])],
            'matchExpressions[0].operator: Unsupported value: "Equals": supported values: '
            '"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"',
        ),
        (
            [NodeReq("a", "Exists"), NodeReq("b", "Gt", ["1", "2"])],
            'matchExpressions[1].values: Invalid value: ["1", "2"]: '
            "for 'Gt', 'Lt' operators, exactly one value is required",
        ),
        (
            [NodeReq("a", "Lt", ["x"])],
            'matchExpressions[0].values[0]: Invalid value: "x": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ([NodeReq("a b", "Exists")], 'matchExpressions[0].key: Invalid value: "a b"'),
    ],
)
def test_node_selector_errors(reqs: list[NodeReq], message: str) -> None:
    with pytest.raises(SelectorError) as info:
        selector_from_node_selector_requirements(reqs)
    assert str(info.value).startswith("invalid node selector requirements: ")
    assert message in str(info.value)


# --- selector_from_set -----------------------------------------------------------------------


def test_selector_from_set() -> None:
    assert selector_from_set({}) == Selector.everything()
    selector = selector_from_set({"tier": "web", "app": "shop"})
    assert str(selector) == "app=shop,tier=web"
    assert selector.matches({"app": "shop", "tier": "web", "x": "y"})
    assert not selector.matches({"app": "shop"})
    frozen = FrozenDict({"app": "shop"})
    assert selector_from_set(frozen) is selector_from_set(FrozenDict({"app": "shop"}))
    with pytest.raises(SelectorError, match="name part"):
        selector_from_set({"bad key": "x"})


# --- properties ------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits


def edged(inner: str, edge: str, max_inner: int) -> st.SearchStrategy[str]:
    """Strings of ``edge`` characters at both ends and ``inner`` ones between."""
    one = st.sampled_from(edge)
    longer = st.tuples(one, st.text(inner, max_size=max_inner), one).map("".join)
    return one | longer


NAME = edged(ALNUM + "-_.", ALNUM, 8)
PREFIX = st.lists(edged(LOWER + "-", LOWER, 4), min_size=1, max_size=3).map(".".join)
KEYS = st.one_of(
    st.sampled_from(["a", "b", "in", "notin", "app.kubernetes.io/name"]),
    NAME,
    st.builds(lambda prefix, name: f"{prefix}/{name}", PREFIX, NAME),
)
WORDS = st.just("") | NAME
INTEGERS = st.integers(0, 2**63 - 1).map(str)
VALUES = st.one_of(st.sampled_from(["", "x", "y", "in", "notin", "7"]), WORDS, INTEGERS)
# What real labels may hold when matched: also signs, spaces, numbers out of range.
LABEL_VALUES = st.one_of(
    VALUES,
    st.integers(-(2**64), 2**64).map(str),
    st.sampled_from(["+3", "-3", " 3", "3.0", "1_0", "٣"]),
)


@st.composite
def requirements(draw: st.DrawFn, keys: st.SearchStrategy[str] = KEYS) -> Requirement:
    key = draw(keys)
    op = draw(st.sampled_from(list(Operator)))
    if op in (Operator.IN, Operator.NOT_IN):
        values = draw(st.lists(VALUES, min_size=1, max_size=4))
    elif op in (Operator.EQUALS, Operator.NOT_EQUALS):
        values = [draw(VALUES)]
    elif op in (Operator.GT, Operator.LT):
        values = [draw(INTEGERS)]
    else:
        values = []
    return Requirement(key, op, values)


SELECTORS = st.lists(requirements(), max_size=6).map(Selector)


@st.composite
def selectors_and_labels(draw: st.DrawFn) -> tuple[Selector, dict[str, str]]:
    selector = draw(SELECTORS)
    keys = [r.key for r in selector.requirements] + ["other"]
    # Values near the selector's own make matches likely, not just non-matches.
    near = [v for r in selector.requirements for v in r.values] + ["z"]
    value = st.one_of(st.sampled_from(near), LABEL_VALUES)
    labels = draw(st.dictionaries(st.sampled_from(keys), value, max_size=len(keys)))
    return selector, labels


def go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64), written independently of the module under test."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or any(c not in "0123456789" for c in digits):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def oracle(requirement: Requirement, labels: Mapping[str, str]) -> bool:
    """The upstream matching rules, as a plain reference to check the implementation against."""
    key, op, values = requirement.key, requirement.operator, requirement.values
    present = key in labels
    if op in (Operator.IN, Operator.EQUALS):
        return present and labels[key] in values
    if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
        return not present or labels[key] not in values
    if op is Operator.EXISTS:
        return present
    if op is Operator.DOES_NOT_EXIST:
        return not present
    number = go_int(labels[key]) if present else None
    if number is None:
        return False
    return number > int(values[0]) if op is Operator.GT else number < int(values[0])


@given(SELECTORS)
def test_string_form_round_trips(selector: Selector) -> None:
    parsed = parse_selector(str(selector))
    assert parsed == selector
    assert str(parsed) == str(selector)


@given(selectors_and_labels())
def test_matching_agrees_with_reference(case: tuple[Selector, dict[str, str]]) -> None:
    selector, labels = case
    expected = all(oracle(r, labels) for r in selector.requirements)
    assert selector.matches(labels) is expected
    assert parse_selector(str(selector)).matches(labels) is expected


def render(requirement: Requirement, space: Sequence[str]) -> str:
    """The requirement in string syntax with the given whitespace between tokens."""
    sp = iter(space)
    key, op, values = requirement.key, requirement.operator, requirement.values

    def s() -> str:
        return next(sp, "")

    if op is Operator.EXISTS:
        return f"{s()}{key}{s()}"
    if op is Operator.DOES_NOT_EXIST:
        return f"{s()}!{s()}{key}{s()}"
    if op in (Operator.IN, Operator.NOT_IN):
        word = "in" if op is Operator.IN else "notin"
        inner = ",".join(f"{s()}{v}{s()}" for v in reversed(values))
        return f"{s()}{key} {word}{s()}({inner}){s()}"
    symbol = {Operator.EQUALS: "==", Operator.NOT_EQUALS: "!=", Operator.GT: ">", Operator.LT: "<"}
    return f"{s()}{key}{s()}{symbol[op]}{s()}{values[0]}{s()}"


@given(
    st.lists(requirements(), min_size=1, max_size=5),
    st.lists(st.sampled_from(["", " ", "\t", "\n", "\r", "  "]), min_size=64, max_size=64),
)
def test_whitespace_and_spelling_do_not_matter(reqs: list[Requirement], space: list[str]) -> None:
    text = ",".join(render(r, space) for r in reqs)
    assert parse_selector(text) == Selector(reqs)


@given(
    st.text(alphabet=st.sampled_from("ab1-_./=!(),<> \tinot"), max_size=30) | st.text(max_size=20)
)
def test_parser_never_crashes(text: str) -> None:
    try:
        selector = parse_selector(text)
    except SelectorError as err:
        message = str(err)
    else:
        # Whatever parses has a canonical form that parses back to the same selector.
        assert parse_selector(str(selector)) == selector
        return
    assert message.startswith(f'invalid selector "{text}": ')
    assert "position" in message


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), VALUES, max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
            st.lists(VALUES, min_size=1, max_size=3),
        ),
        max_size=4,
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), VALUES, max_size=4),
)
def test_label_selector_matches_like_its_fields(
    match_labels: dict[str, str],
    expressions: list[tuple[str, str, list[str]]],
    labels: dict[str, str],
) -> None:
    exprs = [
        req(key, op, *(values if op in ("In", "NotIn") else ())) for key, op, values in expressions
    ]
    selector = selector_from_label_selector(
        LabelSelector(match_labels=match_labels, match_expressions=exprs)
    )
    expected = all(labels.get(k) == v for k, v in match_labels.items()) and all(
        {
            "In": lambda e: e.key in labels and labels[e.key] in e.values,
            "NotIn": lambda e: e.key not in labels or labels[e.key] not in e.values,
            "Exists": lambda e: e.key in labels,
            "DoesNotExist": lambda e: e.key not in labels,
        }[e.operator](e)
        for e in exprs
    )
    assert selector.matches(labels) is expected
