"""Label selectors: requirements, their matching, and the ``a=b,c in (x,y)`` string syntax.

A port of ``k8s.io/apimachinery/pkg/labels`` (selector.go) plus the two converters every
controller needs: ``metav1.LabelSelector`` (``matchLabels`` / ``matchExpressions``) and node
affinity's ``NodeSelectorRequirement`` lists (which add ``Gt`` / ``Lt``).

>>> sel = parse_selector("tier in (web,api), env!=prod, !canary")
>>> str(sel)
'!canary,env!=prod,tier in (api,web)'
>>> sel.matches({"tier": "web"})
True
>>> sel.matches({"tier": "web", "env": "prod"})
False

Selectors are immutable and hashable, and the parsers memoise their results: the same selector
text or ``LabelSelector`` is converted once, however many informers and controllers ask.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Final, Protocol

import attrs

from kube_actors.api._frozen import FrozenDict
from kube_actors.api.meta import LabelSelector
from kube_actors.api.names import is_qualified_name, is_valid_label_value

__all__ = [
    "Operator",
    "Requirement",
    "RequirementLike",
    "Selector",
    "SelectorError",
    "node_selector_requirements_match",
    "parse_selector",
    "selector_from_label_selector",
    "selector_from_node_selector_requirements",
    "selector_from_set",
]

# Memo sizes: one entry per distinct selector in the cluster; bounded so that a client sending
# ever-new selector strings cannot grow memory without limit.
_CACHE_SIZE = 4096


class SelectorError(ValueError):
    """A selector that cannot be parsed or is not valid (bad syntax, key, value or operator)."""


class Operator(enum.StrEnum):
    """The operator of a :class:`Requirement`.

    The values are the API spellings (``matchExpressions`` and node affinity use ``In``,
    ``NotIn``, ``Exists``, ``DoesNotExist``, ``Gt``, ``Lt``); ``Equals`` and ``NotEquals`` exist
    only in the string syntax (``a=b``, ``a==b``, ``a!=b``).
    """

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"
    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"


# Every spelling Requirement() accepts: the enum values plus the string-syntax tokens, so that
# ``Requirement("a", "in", ...)`` and ``Requirement("a", "=", ...)`` read naturally.
_OPERATOR_NAMES: Final[Mapping[str, Operator]] = {
    **{op.value: op for op in Operator},
    "=": Operator.EQUALS,
    "==": Operator.EQUALS,
    "!=": Operator.NOT_EQUALS,
    "in": Operator.IN,
    "notin": Operator.NOT_IN,
    "exists": Operator.EXISTS,
    "!": Operator.DOES_NOT_EXIST,
    "gt": Operator.GT,
    ">": Operator.GT,
    "lt": Operator.LT,
    "<": Operator.LT,
}

# The operators each API type allows, with the exact (case-sensitive) API spelling.
_LABEL_SELECTOR_OPERATORS: Final[Mapping[str, Operator]] = {
    op.value: op for op in (Operator.IN, Operator.NOT_IN, Operator.EXISTS, Operator.DOES_NOT_EXIST)
}
_NODE_SELECTOR_OPERATORS: Final[Mapping[str, Operator]] = {
    op.value: op
    for op in (
        Operator.IN,
        Operator.NOT_IN,
        Operator.EXISTS,
        Operator.DOES_NOT_EXIST,
        Operator.GT,
        Operator.LT,
    )
}

_SET_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
_EXACT_OPERATORS = frozenset({Operator.EQUALS, Operator.NOT_EQUALS})
_UNARY_OPERATORS = frozenset({Operator.EXISTS, Operator.DOES_NOT_EXIST})
_NUMERIC_OPERATORS = frozenset({Operator.GT, Operator.LT})
_INFIX: Final[Mapping[Operator, str]] = {
    Operator.EQUALS: "=",
    Operator.NOT_EQUALS: "!=",
    Operator.GT: ">",
    Operator.LT: "<",
}

# How Requirement.matches treats each operator. Small ints compared with ==, rather than enum
# members, because matching runs for every object an informer or controller looks at.
_IN_SET, _NOT_IN_SET, _PRESENT, _ABSENT, _GREATER, _LESS = range(6)
_MATCH_KIND: Final[Mapping[Operator, int]] = {
    Operator.IN: _IN_SET,
    Operator.EQUALS: _IN_SET,
    Operator.NOT_IN: _NOT_IN_SET,
    Operator.NOT_EQUALS: _NOT_IN_SET,
    Operator.EXISTS: _PRESENT,
    Operator.DOES_NOT_EXIST: _ABSENT,
    Operator.GT: _GREATER,
    Operator.LT: _LESS,
}

# Go's strconv.ParseInt(s, 10, 64): optional sign, ASCII digits only (Python's int() would also
# take underscores, surrounding whitespace and non-ASCII digits), and the int64 range.
_INT_RE = re.compile("[+-]?[0-9]+")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _parse_int64(text: str) -> int | None:
    if not _INT_RE.fullmatch(text):
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _to_operator(value: str) -> Operator:
    if type(value) is Operator:
        return value
    try:
        return _OPERATOR_NAMES[value]
    except KeyError:
        known = ", ".join(f'"{op.value}"' for op in Operator)
        raise SelectorError(
            f'unknown selector operator "{value}" (expected one of {known})'
        ) from None


def _to_values(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        # A bare string would silently become a tuple of its characters.
        raise TypeError(f"values must be a sequence of strings, not the string {values!r}")
    return values if type(values) is tuple else tuple(values)


def _quote(value: str | Sequence[str]) -> str:
    # Field errors print the offending value the way upstream's field.Invalid does: JSON-ish.
    return json.dumps(value if isinstance(value, str) else list(value), ensure_ascii=False)


def _requirement_problems(key: str, op: Operator, values: Sequence[str]) -> list[tuple[str, str]]:
    """Upstream ``NewRequirement`` validation as ``(field, "Invalid value: ...")`` pairs."""
    problems: list[tuple[str, str]] = []
    if errs := is_qualified_name(key):
        problems.append(("key", f"Invalid value: {_quote(key)}: {'; '.join(errs)}"))
    arity = ""
    if op in _SET_OPERATORS:
        if not values:
            arity = "for 'in', 'notin' operators, values set can't be empty"
    elif op in _EXACT_OPERATORS:
        if len(values) != 1:
            arity = "exact-match compatibility requires one single value"
    elif op in _UNARY_OPERATORS:
        if values:
            arity = "values set must be empty for exists and does not exist"
    elif len(values) != 1:
        arity = "for 'Gt', 'Lt' operators, exactly one value is required"
    if arity:
        problems.append(("values", f"Invalid value: {_quote(values)}: {arity}"))
    for i, value in enumerate(values):
        if op in _NUMERIC_OPERATORS and _parse_int64(value) is None:
            problems.append(
                (
                    f"values[{i}]",
                    f"Invalid value: {_quote(value)}: "
                    "for 'Gt', 'Lt' operators, the value must be an integer",
                )
            )
        if errs := is_valid_label_value(value):
            problems.append((f"values[{i}]", f"Invalid value: {_quote(value)}: {'; '.join(errs)}"))
    return problems


def _at(path: str, problems: list[tuple[str, str]]) -> list[str]:
    return [f"{path}.{fld}: {msg}" if path else f"{fld}: {msg}" for fld, msg in problems]


@attrs.frozen(cache_hash=True)
class Requirement:
    """One condition on one label: ``key``, an :class:`Operator` and its ``values``.

    The constructor validates like upstream ``NewRequirement`` (key is a qualified name, values
    are label values, the value count fits the operator, ``Gt``/``Lt`` take one integer) and
    raises :class:`SelectorError` otherwise. ``values`` are stored sorted and de-duplicated, so
    equal requirements compare equal however their values were listed. ``operator`` accepts the
    enum, its value (``"In"``) or the string-syntax token (``"in"``, ``"="``, ``"!="``, ``">"``).

    >>> r = Requirement("tier", "in", ["web", "api"])
    >>> str(r), r.matches({"tier": "api"}), r.matches({})
    ('tier in (api,web)', True, False)
    >>> r = Requirement("gpu", Operator.NOT_IN, ["none"])
    >>> str(r), r.matches({})
    ('gpu notin (none)', True)
    """

    key: str
    operator: Operator = attrs.field(converter=_to_operator)
    values: tuple[str, ...] = attrs.field(default=(), converter=_to_values)
    # Derived once here so that matches() does no parsing or set building on the hot path.
    _value_set: frozenset[str] = attrs.field(init=False, repr=False, eq=False)
    _bound: int = attrs.field(init=False, repr=False, eq=False)
    _kind: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if problems := _requirement_problems(self.key, self.operator, self.values):
            raise SelectorError("invalid requirement: " + "; ".join(_at("", problems)))
        values = self.values
        if len(values) > 1:
            values = tuple(sorted(set(values)))
            object.__setattr__(self, "values", values)
        object.__setattr__(self, "_value_set", frozenset(values))
        bound = int(values[0]) if self.operator in _NUMERIC_OPERATORS else 0
        object.__setattr__(self, "_bound", bound)
        object.__setattr__(self, "_kind", _MATCH_KIND[self.operator])

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this requirement (upstream ``Requirement.Matches``).

        ``In``/``Equals`` need the label, with one of the values; ``NotIn``/``NotEquals`` also
        match when the label is absent; ``Gt``/``Lt`` never match an absent or non-integer label.

        >>> Requirement("replicas", "Gt", ["2"]).matches({"replicas": "3"})
        True
        >>> Requirement("replicas", "Gt", ["2"]).matches({"replicas": "three"})
        False
        """
        kind = self._kind
        if kind == _IN_SET:
            value = labels.get(self.key)
            return value is not None and value in self._value_set
        if kind == _NOT_IN_SET:
            value = labels.get(self.key)
            return value is None or value not in self._value_set
        if kind == _PRESENT:
            return self.key in labels
        if kind == _ABSENT:
            return self.key not in labels
        value = labels.get(self.key)
        if value is None:
            return False
        number = _parse_int64(value)
        if number is None:
            return False
        return number > self._bound if kind == _GREATER else number < self._bound

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        if op is Operator.IN:
            return f"{self.key} in ({','.join(self.values)})"
        if op is Operator.NOT_IN:
            return f"{self.key} notin ({','.join(self.values)})"
        return f"{self.key}{_INFIX[op]}{self.values[0]}"


def _sort_by_key(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    # Stable, so requirements on the same key keep their given order (as upstream's parser).
    return tuple(sorted(requirements, key=attrgetter("key")))


@attrs.frozen(cache_hash=True)
class Selector:
    """A label selector: the AND of its requirements, kept sorted by key.

    ``str()`` gives the canonical string form, which :func:`parse_selector` reads back.
    :meth:`everything` (no requirements) matches every label set; :meth:`nothing` matches none,
    which is what a ``null`` ``LabelSelector`` means. Both print as the empty string; the
    ``selects_nothing`` flag tells them apart.

    >>> sel = Selector([Requirement("b", "Exists"), Requirement("a", "=", ["1"])])
    >>> str(sel), sel.matches({"a": "1", "b": ""}), Selector.nothing().matches({})
    ('a=1,b', True, False)
    """

    requirements: tuple[Requirement, ...] = attrs.field(default=(), converter=_sort_by_key)
    selects_nothing: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.selects_nothing and self.requirements:
            raise ValueError("a selector that selects nothing cannot have requirements")

    @classmethod
    def everything(cls) -> Selector:
        """The selector that matches every label set (the empty selector).

        >>> Selector.everything().matches({"any": "thing"}), str(Selector.everything())
        (True, '')
        """
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> Selector:
        """The selector that matches no label set at all.

        >>> Selector.nothing().matches({}), Selector.nothing().is_empty()
        (False, False)
        """
        return _NOTHING

    def is_empty(self) -> bool:
        """Whether the selector does not restrict anything (true only for :meth:`everything`).

        >>> parse_selector("").is_empty(), parse_selector("a").is_empty()
        (True, False)
        """
        return not self.requirements and not self.selects_nothing

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every requirement matches ``labels``.

        >>> parse_selector("app=web,!legacy").matches({"app": "web"})
        True
        """
        if self.selects_nothing:
            return False
        # A plain loop, not all(<generator>): this runs for every object an informer sees.
        for requirement in self.requirements:  # noqa: SIM110
            if not requirement.matches(labels):
                return False
        return True

    def requires_exact_match(self, key: str) -> str | None:
        """The one value ``key`` must have to match (``key=v`` or ``key in (v)``), else None.

        Indexes use it to look up candidates by label instead of scanning everything.

        >>> parse_selector("app=web,tier").requires_exact_match("app")
        'web'
        >>> parse_selector("app in (a,b)").requires_exact_match("app") is None
        True
        """
        # Upstream stops at the first requirement on the key; looking at all of them is just
        # as correct (any match must satisfy every requirement) and finds more exact matches.
        for requirement in self.requirements:
            if (
                requirement.key == key
                and requirement.operator in (Operator.EQUALS, Operator.IN)
                and len(requirement.values) == 1
            ):
                return requirement.values[0]
        return None

    def add(self, *requirements: Requirement) -> Selector:
        """A new selector that also requires ``requirements`` (nothing stays nothing).

        >>> str(parse_selector("b=2").add(Requirement("a", "Exists")))
        'a,b=2'
        """
        if self.selects_nothing or not requirements:
            return self
        return Selector(self.requirements + requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


_EVERYTHING: Final = Selector()
_NOTHING: Final = Selector(selects_nothing=True)


# --- The string syntax -----------------------------------------------------------------------
#
# The lexer and the parser follow upstream's (labels/selector.go) token by token, so that the
# same strings are accepted and mean the same thing. The error messages differ (they name the
# offending token and its position), and one corner is more regular (see _value_list).

_IDENT = "identifier"
_EOS = "end of string"
_OPEN = "("
_CLOSE = ")"
_COMMA = ","
_NOT = "!"
_EQ = "="
_DOUBLE_EQ = "=="
_NOT_EQ = "!="
_GT = ">"
_LT = "<"
_IN = "in"
_NOT_IN = "notin"

_SYMBOLS = frozenset({_OPEN, _CLOSE, _COMMA, _NOT, _EQ, _DOUBLE_EQ, _NOT_EQ, _GT, _LT})
_KEYWORDS = frozenset({_IN, _NOT_IN})
_SPECIAL_CHARS = frozenset("=!(),<>")
_WHITESPACE = frozenset(" \t\r\n")
_TOKEN_OPERATORS: Final[Mapping[str, Operator]] = {
    _IN: Operator.IN,
    _NOT_IN: Operator.NOT_IN,
    _EQ: Operator.EQUALS,
    _DOUBLE_EQ: Operator.EQUALS,
    _NOT_EQ: Operator.NOT_EQUALS,
    _GT: Operator.GT,
    _LT: Operator.LT,
}
_EXPECTED_OPERATOR = 'an operator ("=", "==", "!=", "in", "notin", ">" or "<")'


@attrs.frozen
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i == n:
            tokens.append(_Token(_EOS, "", n))
            return tokens
        start = i
        if text[i] in _SPECIAL_CHARS:
            # Longest run of special characters that is still a token: "!=" and "==" are one
            # token, "=!" is two, "<=" is "<" then "=" (there is no "<=" operator).
            i += 1
            while i < n and text[i] in _SPECIAL_CHARS and text[start : i + 1] in _SYMBOLS:
                i += 1
            tokens.append(_Token(text[start:i], text[start:i], start))
        else:
            while i < n and text[i] not in _SPECIAL_CHARS and text[i] not in _WHITESPACE:
                i += 1
            word = text[start:i]
            tokens.append(_Token(word if word in _KEYWORDS else _IDENT, word, start))


class _Parser:
    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = _tokenize(text)
        self._index = 0

    # "in" and "notin" are operators only right after a key; everywhere else (keys, values)
    # they are ordinary words, so that "in in (notin)" means what it says.
    def _peek(self, *, operator: bool = False) -> tuple[str, _Token]:
        token = self._tokens[self._index]
        kind = token.kind
        if not operator and kind in _KEYWORDS:
            kind = _IDENT
        return kind, token

    def _next(self, *, operator: bool = False) -> tuple[str, _Token]:
        kind, token = self._peek(operator=operator)
        if kind != _EOS:
            self._index += 1
        return kind, token

    def _error(self, detail: str) -> SelectorError:
        return SelectorError(f'invalid selector "{self._text}": {detail}')

    def _unexpected(self, token: _Token, expected: str, at_end: str | None = None) -> SelectorError:
        if token.kind == _EOS:
            return self._error(f"expected {at_end or expected} at position {token.pos}")
        return self._error(
            f'unexpected "{token.text}" at position {token.pos}, expected {expected}'
        )

    def parse(self) -> Selector:
        kind, _ = self._peek()
        if kind == _EOS:
            return _EVERYTHING
        requirements: list[Requirement] = []
        while True:
            kind, token = self._peek()
            if kind not in (_IDENT, _NOT):
                raise self._unexpected(token, 'a label key or "!"')
            requirements.append(self._requirement())
            kind, token = self._next()
            if kind == _EOS:
                return Selector(requirements)
            if kind != _COMMA:
                raise self._unexpected(token, '"," or end of string')

    def _requirement(self) -> Requirement:
        kind, token = self._next()
        negated = kind == _NOT
        if negated:
            kind, token = self._next()
        if kind != _IDENT:
            raise self._unexpected(token, "a label key")
        key = token.text
        if errs := is_qualified_name(key):
            raise self._error(
                f'invalid label key "{key}" at position {token.pos}: ' + "; ".join(errs)
            )
        if negated:
            # Like upstream, "!key" ends the requirement; whatever follows must be "," or the end.
            return Requirement(key, Operator.DOES_NOT_EXIST)
        kind, token = self._peek()
        if kind in (_EOS, _COMMA):
            return Requirement(key, Operator.EXISTS)
        kind, token = self._next(operator=True)
        op = _TOKEN_OPERATORS.get(kind)
        if op is None:
            raise self._unexpected(token, _EXPECTED_OPERATOR)
        values = self._value_list() if op in _SET_OPERATORS else [self._exact_value()]
        for value, pos in values:
            if op in _NUMERIC_OPERATORS and _parse_int64(value) is None:
                raise self._error(
                    f'invalid value "{value}" for key "{key}" at position {pos}: '
                    "for 'Gt', 'Lt' operators, the value must be an integer"
                )
            if errs := is_valid_label_value(value):
                raise self._error(
                    f'invalid label value "{value}" for key "{key}" at position {pos}: '
                    + "; ".join(errs)
                )
        return Requirement(key, op, [value for value, _ in values])

    def _value_list(self) -> list[tuple[str, int]]:
        # "(" item ("," item)* ")" where an item is a value or nothing (the empty value), so
        # "()" is the set {""} and "(a,,b)" is {"", "a", "b"}, as upstream. (Upstream's loop
        # happens to reject "(a,,)"; this grammar accepts it as {"", "a"}.)
        kind, token = self._next()
        if kind != _OPEN:
            raise self._unexpected(token, '"("')
        values: list[tuple[str, int]] = []
        while True:
            kind, token = self._peek()
            expected = '"," or ")"'
            if kind == _IDENT:
                self._next()
                values.append((token.text, token.pos))
                kind, token = self._peek()
            else:
                values.append(("", token.pos))
                expected = 'a value, "," or ")"'
            if kind == _COMMA:
                self._next()
            elif kind == _CLOSE:
                self._next()
                return values
            else:
                raise self._unexpected(token, expected, at_end='")"')

    def _exact_value(self) -> tuple[str, int]:
        kind, token = self._peek()
        if kind in (_EOS, _COMMA):
            return "", token.pos  # "a=" requires the empty value, as upstream
        self._next()
        if kind != _IDENT:
            raise self._unexpected(token, "a value")
        return token.text, token.pos


def parse_selector(text: str) -> Selector:
    """Parse the string form of a label selector (``kubectl -l``, ``?labelSelector=``).

    The syntax is upstream's: comma-separated requirements ``k=v``, ``k==v``, ``k!=v``,
    ``k in (v1,v2)``, ``k notin (v1,v2)``, ``k`` (exists), ``!k`` (does not exist), ``k>5`` and
    ``k<5``, with optional whitespace (space, tab, CR, LF) between tokens. The empty string is
    :meth:`Selector.everything`. Raises :class:`SelectorError` naming the offending token and
    its position.

    >>> str(parse_selector(" b == 2 , a in (y, x) "))
    'a in (x,y),b=2'
    >>> try:
    ...     parse_selector("a in (b")
    ... except SelectorError as err:
    ...     print(err)
    invalid selector "a in (b": expected ")" at position 7
    """
    return _parse_cached(text)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> Selector:
    # A typed wrapper calls this: lru_cache's wrapper would erase parse_selector's signature.
    return _Parser(text).parse()


def _convert_label_selector(ls: LabelSelector | None) -> Selector:
    if ls is None:
        return _NOTHING
    if not ls.match_labels and not ls.match_expressions:
        return _EVERYTHING
    problems: list[str] = []
    requirements: list[Requirement] = []
    # matchLabels first, then matchExpressions in order: with the stable sort by key this gives
    # one deterministic requirement order for equal selectors.
    for key in sorted(ls.match_labels):
        value = ls.match_labels[key]
        if errs := is_qualified_name(key):
            problems.append(f"matchLabels: Invalid value: {_quote(key)}: {'; '.join(errs)}")
        if errs := is_valid_label_value(value):
            problems.append(
                f"matchLabels[{key}]: Invalid value: {_quote(value)}: {'; '.join(errs)}"
            )
        if not problems:
            requirements.append(Requirement(key, Operator.EQUALS, (value,)))
    for i, expr in enumerate(ls.match_expressions):
        path = f"matchExpressions[{i}]"
        op = _LABEL_SELECTOR_OPERATORS.get(expr.operator)
        if op is None:
            supported = ", ".join(f'"{name}"' for name in _LABEL_SELECTOR_OPERATORS)
            problems.append(
                f"{path}.operator: Unsupported value: {_quote(expr.operator)}: "
                f"supported values: {supported}"
            )
            continue
        if found := _requirement_problems(expr.key, op, expr.values):
            problems.extend(_at(path, found))
        elif not problems:
            requirements.append(Requirement(expr.key, op, expr.values))
    if problems:
        raise SelectorError("invalid label selector: " + "; ".join(problems))
    return Selector(requirements)


@lru_cache(maxsize=_CACHE_SIZE)
def _cached_label_selector(ls: LabelSelector | None) -> Selector:
    return _convert_label_selector(ls)


def selector_from_label_selector(ls: LabelSelector | None) -> Selector:
    """Convert a ``metav1.LabelSelector`` (upstream ``LabelSelectorAsSelector``).

    ``None`` selects nothing; an empty selector selects everything; ``matchLabels`` become
    ``key=value`` requirements and ``matchExpressions`` use ``In``, ``NotIn``, ``Exists`` or
    ``DoesNotExist``. Raises :class:`SelectorError` listing every invalid field, e.g.
    ``matchExpressions[0].operator`` or ``matchExpressions[1].values``.

    >>> from kube_actors.api.meta import LabelSelectorRequirement as Req
    >>> ls = LabelSelector(match_labels={"app": "web"},
    ...                    match_expressions=[Req(key="tier", operator="NotIn", values=["db"])])
    >>> str(selector_from_label_selector(ls))
    'app=web,tier notin (db)'
    >>> selector_from_label_selector(None).matches({})
    False
    """
    if ls is None or type(ls.match_labels) is FrozenDict:
        return _cached_label_selector(ls)
    # The field converters always freeze matchLabels; anything else may be unhashable.
    return _convert_label_selector(ls)


class RequirementLike(Protocol):
    """Anything shaped like a ``NodeSelectorRequirement``: ``key``, ``operator``, ``values``."""

    @property
    def key(self) -> str: ...

    @property
    def operator(self) -> str: ...

    @property
    def values(self) -> Sequence[str]: ...


_NodeKey = tuple[tuple[str, str, tuple[str, ...]], ...]


@lru_cache(maxsize=_CACHE_SIZE)
def _node_selector(reqs: _NodeKey) -> Selector | str:
    # Returns the error message instead of raising so that invalid requirements are memoised
    # too: the scheduler asks about the same pod's terms for every node.
    if not reqs:
        return _NOTHING
    problems: list[str] = []
    requirements: list[Requirement] = []
    for i, (key, operator, values) in enumerate(reqs):
        path = f"matchExpressions[{i}]"
        op = _NODE_SELECTOR_OPERATORS.get(operator)
        if op is None:
            supported = ", ".join(f'"{name}"' for name in _NODE_SELECTOR_OPERATORS)
            problems.append(
                f"{path}.operator: Unsupported value: {_quote(operator)}: "
                f"supported values: {supported}"
            )
        elif found := _requirement_problems(key, op, values):
            problems.extend(_at(path, found))
        elif not problems:
            requirements.append(Requirement(key, op, values))
    if problems:
        return "invalid node selector requirements: " + "; ".join(problems)
    return Selector(requirements)


def _node_key(reqs: Iterable[RequirementLike]) -> _NodeKey:
    return tuple((r.key, r.operator, tuple(r.values)) for r in reqs)


def selector_from_node_selector_requirements(reqs: Iterable[RequirementLike]) -> Selector:
    """Convert a node selector term's ``matchExpressions`` (node affinity) to a selector.

    Operators are ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``, ``Gt`` and ``Lt``. As
    upstream, an empty list selects *nothing* (an empty node selector term matches no node).
    Raises :class:`SelectorError` naming each invalid ``matchExpressions[i]`` field.

    >>> from kube_actors.api.meta import LabelSelectorRequirement as Req
    >>> cpu = Req(key="cpu", operator="Gt", values=["4"])
    >>> str(selector_from_node_selector_requirements([cpu]))
    'cpu>4'
    """
    result = _node_selector(_node_key(reqs))
    if isinstance(result, str):
        raise SelectorError(result)
    return result


def node_selector_requirements_match(
    reqs: Iterable[RequirementLike], labels: Mapping[str, str]
) -> bool:
    """Whether node ``labels`` satisfy all of ``reqs`` (one node selector term's expressions).

    As upstream's node affinity: an empty list and a list with an invalid requirement match
    no node (they are never an error at match time; validation reports them).

    >>> from kube_actors.api.meta import LabelSelectorRequirement as Req
    >>> zone = Req(key="zone", operator="In", values=["a", "b"])
    >>> node_selector_requirements_match([zone], {"zone": "a"})
    True
    >>> node_selector_requirements_match([], {"zone": "a"})
    False
    """
    result = _node_selector(_node_key(reqs))
    return not isinstance(result, str) and result.matches(labels)


def _selector_from_set(labels: Mapping[str, str]) -> Selector:
    if not labels:
        return _EVERYTHING
    return Selector(Requirement(key, Operator.EQUALS, (value,)) for key, value in labels.items())


_cached_selector_from_set = lru_cache(maxsize=_CACHE_SIZE)(_selector_from_set)


def selector_from_set(labels: Mapping[str, str]) -> Selector:
    """The selector requiring exactly these labels (Service selectors, ``nodeSelector``).

    An empty mapping selects everything. Keys and values are validated (raises
    :class:`SelectorError`).

    >>> str(selector_from_set({"tier": "web", "app": "shop"}))
    'app=shop,tier=web'
    """
    if type(labels) is FrozenDict:  # frozen mappings are hashable: memoise them
        return _cached_selector_from_set(labels)
    return _selector_from_set(labels)
