"""Resource quantities (``100m``, ``1.5Gi``, ``12e6``), exact like upstream ``resource.Quantity``.

A :class:`Quantity` holds its value as a whole number of nano-units in a Python ``int``, so no
arithmetic ever rounds or overflows, plus the *format* family it was written in, which only
decides how :func:`str` spells it:

- ``DecimalSI``: ``n u m "" k M G T P E`` (powers of 1000);
- ``BinarySI``: ``Ki Mi Gi Ti Pi Ei`` (powers of 1024);
- ``DecimalExponent``: ``e<n>`` / ``E<n>`` (powers of 10).

Parsing rounds up (away from zero) to the nearest nano, caps ``BinarySI`` values at 2^63-1 and
otherwise follows ``k8s.io/apimachinery/pkg/api/resource``; ``str()`` gives the upstream canonical
form (the largest suffix of the same family that keeps the number whole).

>>> q = parse_quantity("1.5Gi")
>>> str(q), q.value(), q.format
('1536Mi', 1610612736, 'BinarySI')
>>> parse_quantity("0.1") == parse_quantity("100m") < parse_quantity("1")
True
>>> str(parse_quantity("250m") + parse_quantity("1"))
'1250m'

Where upstream is lossy or lax, this module is stricter, on purpose:

- a number needs a digit: upstream reads ``.``, ``-`` and a bare suffix (``Gi``) as zero;
- ``str()`` is always canonical: upstream echoes some inputs verbatim (``+1``, ``01``, ``1E3``);
- magnitudes of 10^1000 and more are rejected (every digit is kept here, so they cost memory);
- past the largest suffix nothing is dropped: ``1000E``, and BinarySI above the 2^63-1 parse
  cap prints as DecimalSI (upstream has printed ``1`` for both, later ``1e21``).
"""

from __future__ import annotations

import decimal
import functools
import re
from collections.abc import Callable
from typing import Any, Final, Literal, NoReturn, TypeAlias, final

#: The three spellings upstream knows; only ``str()`` depends on it, never equality or order.
Format: TypeAlias = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

_FORMATS: Final = frozenset(("DecimalSI", "BinarySI", "DecimalExponent"))

_NANO: Final = 10**9
_NANOS_PER_MILLI: Final = 10**6  # nanos per milli-unit

# Upstream ``maxAllowed``: a parsed BinarySI magnitude is capped here (2^63-1, in nanos).
_MAX_BINARY_NANOS: Final = (2**63 - 1) * _NANO
# Upstream keeps the exponent in an int32 scale; newer releases reject what does not fit.
_MAX_EXPONENT: Final = 2**31 - 1
# Upstream stores ``1e2000000000`` as (1, scale) and never expands it; we hold every digit, so a
# parse must bound the magnitude or one short string could allocate gigabytes. 10^1000 is far
# beyond any resource and still cheap to compute with.
_MAX_MAGNITUDE_EXPONENT: Final = 1000

# CPython refuses int <-> str conversions above ``sys.get_int_max_str_digits()`` (4300 by
# default, 640 at the least); below this length every setting allows them.
_SAFE_DIGITS: Final = 600

_DECIMAL_SUFFIXES: Final[dict[str, int]] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: Final[dict[str, int]] = {
    "Ki": 10,
    "Mi": 20,
    "Gi": 30,
    "Ti": 40,
    "Pi": 50,
    "Ei": 60,
}
_DECIMAL_BY_EXPONENT: Final = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER: Final = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")  # index = power of 1024

# ``[0-9]`` and not ``\d``: ``\d`` would accept non-ASCII digits such as U+0663. The alternatives of
# the suffix group are tried in order, and ``fullmatch`` backtracks from the exa suffix "E" to
# the exponent form for "1E3".
_QUANTITY_RE: Final = re.compile(
    r"([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)

_SYNTAX: Final = (
    "expected a number with an optional suffix "
    "(n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent e3)"
)

# Exact arithmetic on ``Decimal``: no precision limit and the widest exponent range, so neither
# ``scaleb`` nor ``normalize`` ever rounds.
_EXACT: Final = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)


class QuantityError(ValueError):
    """A string that is not a valid quantity; the message starts ``invalid quantity "<text>"``.

    >>> try:
    ...     parse_quantity("12x")
    ... except QuantityError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    invalid quantity "12x": expected a number with an optional suffix (n, u, m, ..., Ei or ...)
    """


def _invalid(text: str, reason: str = _SYNTAX) -> NoReturn:
    raise QuantityError(f'invalid quantity "{text}": {reason}')


def _digits_of(n: int) -> str:
    """``str(n)`` for a non-negative int of any size (``str`` refuses thousands of digits)."""
    if n.bit_length() <= 1900:  # under 600 decimal digits
        return str(n)
    return str(decimal.Decimal(n))  # exact, and libmpdec has no digit limit


def _int_of(digits: str) -> int:
    """``int(digits)`` for a string of ASCII digits of any length."""
    if len(digits) <= _SAFE_DIGITS:
        return int(digits)
    return int(decimal.Decimal(digits))


def _ceil_div(n: int, d: int) -> int:
    """``n / d`` for ``d > 0``, rounded away from zero (upstream rounds magnitudes up)."""
    q = -(-abs(n) // d)
    return q if n >= 0 else -q


@final
class Quantity:
    """An exact, immutable resource quantity: ``nanos`` nano-units written in ``format``.

    Equality, hashing and ordering look at the value only, so ``1Gi == 1073741824`` and
    ``1k == 1000``; arithmetic keeps the left operand's format (the right one's if the left is
    zero), as upstream ``Add``/``Sub`` do.

    >>> Quantity(1_500_000_000)
    Quantity("1500m")
    >>> Quantity.from_bytes(3 * 2**30) == parse_quantity("3Gi")
    True
    >>> sum([parse_quantity("100m"), parse_quantity("0.4")], Quantity(0))
    Quantity("500m")
    """

    __slots__ = ("_format", "_nanos", "_str")

    _nanos: int
    _format: Format
    _str: str

    def __init__(self, nanos: int, format: Format = "DecimalSI") -> None:
        if nanos.__class__ is not int:
            # A float here would already have lost exactness; True is not a number of nanos.
            if isinstance(nanos, bool) or not isinstance(nanos, int):
                raise TypeError(f"Quantity nanos must be an int, not {type(nanos).__name__}")
            nanos = int(nanos)  # an int subclass (IntEnum) would leak into str() and repr()
        if format not in _FORMATS:
            raise ValueError(f"unknown quantity format {format!r}")
        # The slot descriptors themselves: __setattr__ refuses, and object.__setattr__ is 4x slower.
        _set_nanos(self, nanos)
        _set_format(self, format)
        # _str (the canonical text) stays unset until the first str()

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def from_int(cls, value: int, format: Format = "DecimalSI") -> Quantity:
        """A whole number of units (cores, bytes, pods), like upstream ``NewQuantity``.

        >>> str(Quantity.from_int(2000)), str(Quantity.from_int(2048, "BinarySI"))
        ('2k', '2Ki')
        """
        return cls(value * _NANO, format)

    @classmethod
    def from_milli(cls, milli: int, format: Format = "DecimalSI") -> Quantity:
        """Thousandths of a unit (millicores), like upstream ``NewMilliQuantity``.

        >>> str(Quantity.from_milli(250)), str(Quantity.from_milli(3000))
        ('250m', '3')
        """
        return cls(milli * _NANOS_PER_MILLI, format)

    @classmethod
    def from_bytes(cls, n: int) -> Quantity:
        """A byte count, written with binary suffixes (below 1024 like DecimalSI, as upstream).

        >>> str(Quantity.from_bytes(512 * 2**20)), str(Quantity.from_bytes(1000))
        ('512Mi', '1k')
        """
        return cls(n * _NANO, "BinarySI")

    # --- accessors ----------------------------------------------------------------------------

    @property
    def nanos(self) -> int:
        """The exact value in nano-units.

        >>> parse_quantity("1.5").nanos
        1500000000
        """
        return self._nanos

    @property
    def format(self) -> Format:
        """The format family: ``"DecimalSI"``, ``"BinarySI"`` or ``"DecimalExponent"``.

        >>> parse_quantity("1Mi").format, parse_quantity("1M").format, parse_quantity("1e6").format
        ('BinarySI', 'DecimalSI', 'DecimalExponent')
        """
        return self._format

    def value(self) -> int:
        """Whole units rounded up away from zero (bytes for memory), like upstream ``Value``.

        >>> parse_quantity("1Ki").value(), parse_quantity("100m").value()
        (1024, 1)
        """
        return _ceil_div(self._nanos, _NANO)

    def milli_value(self) -> int:
        """Thousandths rounded up away from zero (millicores), like upstream ``MilliValue``.

        >>> parse_quantity("1.5").milli_value(), parse_quantity("1n").milli_value()
        (1500, 1)
        """
        return _ceil_div(self._nanos, _NANOS_PER_MILLI)

    def as_decimal(self) -> decimal.Decimal:
        """The exact value as a ``Decimal``.

        >>> parse_quantity("100m").as_decimal(), parse_quantity("2k").as_decimal()
        (Decimal('0.1'), Decimal('2000'))
        """
        whole, rest = divmod(abs(self._nanos), _NANO)
        if not rest:
            return decimal.Decimal(whole if self._nanos >= 0 else -whole)
        # A fractional value keeps a negative exponent after normalize(): never "1E+3" notation.
        return decimal.Decimal(self._nanos).scaleb(-9, _EXACT).normalize(_EXACT)

    def as_float(self) -> float:
        """The nearest float (``inf`` beyond the float range), like ``AsApproximateFloat64``.

        >>> parse_quantity("1500m").as_float()
        1.5
        """
        try:
            return self._nanos / _NANO  # int / int is correctly rounded
        except OverflowError:
            return float("inf") if self._nanos > 0 else float("-inf")

    # --- immutability -------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"Quantity is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Quantity is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Quantity, (self._nanos, self._format))

    def __copy__(self) -> Quantity:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Quantity:
        return self

    # --- comparison ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self._nanos == other._nanos
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._nanos)

    def __lt__(self, other: Quantity) -> bool:
        if isinstance(other, Quantity):
            return self._nanos < other._nanos
        return NotImplemented

    def __le__(self, other: Quantity) -> bool:
        if isinstance(other, Quantity):
            return self._nanos <= other._nanos
        return NotImplemented

    def __gt__(self, other: Quantity) -> bool:
        if isinstance(other, Quantity):
            return self._nanos > other._nanos
        return NotImplemented

    def __ge__(self, other: Quantity) -> bool:
        if isinstance(other, Quantity):
            return self._nanos >= other._nanos
        return NotImplemented

    def __bool__(self) -> bool:
        return self._nanos != 0

    # --- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other: Quantity) -> Quantity:
        if isinstance(other, Quantity):
            # Upstream Add: a zero left operand takes the other's format, so 0 + 1Gi prints 1Gi.
            fmt = self._format if self._nanos else other._format
            return Quantity(self._nanos + other._nanos, fmt)
        return NotImplemented

    def __radd__(self, other: int) -> Quantity:
        # Only ``0 + q``, the start value of ``sum()``; adding a bare number has no unit.
        if other.__class__ is int and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Quantity) -> Quantity:
        if isinstance(other, Quantity):
            fmt = self._format if self._nanos else other._format
            return Quantity(self._nanos - other._nanos, fmt)
        return NotImplemented

    def __neg__(self) -> Quantity:
        return Quantity(-self._nanos, self._format)

    def __pos__(self) -> Quantity:
        return self

    def __abs__(self) -> Quantity:
        return self if self._nanos >= 0 else Quantity(-self._nanos, self._format)

    def __mul__(self, other: int) -> Quantity:
        if other.__class__ is int:
            return Quantity(self._nanos * other, self._format)
        return NotImplemented

    __rmul__ = __mul__

    # --- text ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        try:
            return self._str
        except AttributeError:  # first call: computed once, then shared like the value
            text = _canonical(self._nanos, self._format)
            _set_str(self, text)
            return text

    def __repr__(self) -> str:
        return f'Quantity("{self}")'


_set_nanos: Final[Callable[[Quantity, int], None]] = Quantity.__dict__["_nanos"].__set__
_set_format: Final[Callable[[Quantity, Format], None]] = Quantity.__dict__["_format"].__set__
_set_str: Final[Callable[[Quantity, str], None]] = Quantity.__dict__["_str"].__set__


def _canonical(nanos: int, fmt: Format) -> str:
    """Upstream ``CanonicalizeBytes``: exact, no fraction, the largest suffix of the family."""
    if nanos == 0:
        return "0"
    sign = "-" if nanos < 0 else ""
    magnitude = -nanos if nanos < 0 else nanos
    if fmt == "BinarySI":
        # Upstream prints |v| < 1024 and non-integers in DecimalSI rather than round them; we
        # also do so above the 2^63-1 parse cap, or the text would not parse back to the value.
        if _NANO * 1024 <= magnitude <= _MAX_BINARY_NANOS and magnitude % _NANO == 0:
            units = magnitude // _NANO
            power = 0
            while (units & 1023) == 0:  # below the cap, at most 7 * 1024^6: the loop ends by Ei
                units >>= 10
                power += 1
            return f"{sign}{units}{_BINARY_BY_POWER[power]}"
        fmt = "DecimalSI"
    digits = _digits_of(magnitude)
    mantissa = digits.rstrip("0")
    exponent = len(digits) - len(mantissa) - 9
    # Lower the exponent to a multiple of 3, moving digits into the mantissa (0.1 -> 100m).
    spare = exponent % 3
    if spare:
        mantissa += "0" * spare
        exponent -= spare
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa}e{exponent}" if exponent else sign + mantissa
    if exponent > 18:  # no SI suffix past E: keep the exa suffix and grow the mantissa
        mantissa += "0" * (exponent - 18)
        exponent = 18
    return sign + mantissa + _DECIMAL_BY_EXPONENT[exponent]


def _parse(text: str) -> Quantity:
    match = _QUANTITY_RE.fullmatch(text)
    if match is None:
        _invalid(text)
    sign, whole, fraction, suffix = match.groups("")
    if not whole and not fraction:  # "", ".", "-", "Gi": there must be a digit
        _invalid(text)

    binary_power = 0
    exponent = _DECIMAL_SUFFIXES.get(suffix)
    if exponent is not None:
        fmt: Format = "DecimalSI"
    elif suffix in _BINARY_SUFFIXES:
        fmt = "BinarySI"
        exponent = 0
        binary_power = _BINARY_SUFFIXES[suffix]
    else:
        fmt = "DecimalExponent"
        # Strip zeros first: int() refuses long strings, and "e0000000000001" is just e1.
        exp_digits = suffix[1:].lstrip("+-").lstrip("0") or "0"
        if len(exp_digits) > 10 or int(exp_digits) > _MAX_EXPONENT:
            _invalid(text, f"the exponent must be between -{_MAX_EXPONENT} and {_MAX_EXPONENT}")
        exponent = -int(exp_digits) if suffix[1] == "-" else int(exp_digits)

    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Quantity(0, fmt)
    # The value is int(digits) * 10**scale * 2**binary_power.
    scale = exponent - len(fraction)
    leading = len(digits) - 1 + scale  # the power of ten of the leading digit
    shift = scale + 9  # the power of ten that turns units into nanos

    if binary_power == 0:
        if leading >= _MAX_MAGNITUDE_EXPONENT:
            _invalid(text, f"the magnitude must be below 10^{_MAX_MAGNITUDE_EXPONENT}")
        if shift >= 0:
            nanos = _int_of(digits) * 10**shift
        else:
            # Round up below the nano: keep the digits down to 1n, add one if any digit is cut.
            # (All of it below 1n rounds up to exactly 1n.)
            kept = len(digits) + shift
            cut_nonzero = digits[kept:].strip("0") != ""
            nanos = _int_of(digits[:kept]) + cut_nonzero if kept > 0 else 1
    elif leading >= 19:  # >= 10^19 before the binary factor: past 2^63-1 in any case
        nanos = _MAX_BINARY_NANOS
    else:
        if shift >= 0:
            nanos = (_int_of(digits) * 10**shift) << binary_power
        else:
            nanos = -(-(_int_of(digits) << binary_power) // 10**-shift)
        nanos = min(nanos, _MAX_BINARY_NANOS)
        if nanos < _NANO:
            fmt = "DecimalSI"  # as upstream: 0 < |v| < 1 has no exact binary spelling
    return Quantity(-nanos if sign == "-" else nanos, fmt)


# Quantities repeat a lot (every pod asks for "100m" or "128Mi"), and a Quantity is immutable, so
# one parsed instance can be shared. Errors are not cached: lru_cache only stores returns.
_parse_cached: Final = functools.lru_cache(maxsize=4096)(_parse)


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse a quantity such as ``"100m"``, ``"1.5Gi"``, ``"12e6"`` (results are cached).

    Numbers are accepted as JSON and YAML give them (``cpu: 4``, ``cpu: 0.5``); anything else,
    including ``bool``, raises :class:`QuantityError`.

    >>> parse_quantity("1.5Gi"), parse_quantity("0.1"), parse_quantity(4), parse_quantity(0.5)
    (Quantity("1536Mi"), Quantity("100m"), Quantity("4"), Quantity("500m"))
    >>> parse_quantity("1 Gi")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    QuantityError: invalid quantity "1 Gi": expected a number with an optional suffix (...)
    """
    if text.__class__ is str:  # the hot path: one dict lookup once the text was seen
        return _parse_cached(text)
    if isinstance(text, bool):  # before int: bool is an int, and "True" is no quantity
        _invalid(repr(text), "must be a string or a number, not bool")
    if isinstance(text, int):
        n = int(text)
        return _parse_cached(_digits_of(n) if n >= 0 else "-" + _digits_of(-n))
    if isinstance(text, float):
        return _parse_cached(repr(float(text)))  # shortest round-trip text: 0.5 -> "0.5"
    if isinstance(text, str):  # a str subclass (a str Enum): parse its plain text
        return _parse_cached(str.__str__(text))
    _invalid(repr(text)[:100], f"must be a string or a number, not {type(text).__name__}")


__all__ = ["Format", "Quantity", "QuantityError", "parse_quantity"]
