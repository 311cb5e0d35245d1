"""Name and identifier validation with the rules and messages of upstream Kubernetes.

A port of ``k8s.io/apimachinery/pkg/util/validation`` (Kubernetes v1.34). Every ``is_*`` function
returns a list of error messages, empty when the value is valid, so that callers can attach the
messages to a field path just like upstream does::

    >>> is_dns1123_label("web-1")
    []
    >>> is_valid_port_num(0)
    ['must be between 1 and 65535, inclusive']

The message text is byte-for-byte the upstream text (including the double space that upstream's
``RegexError`` puts before ``or`` when it lists several examples), so error output can be compared
with a real API server's.

These checks run on hot paths (every label key and value of every selector and object), so the
regular expressions are compiled once and results for strings are memoised.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "DNS1035_LABEL_MAX_LENGTH",
    "DNS1123_LABEL_MAX_LENGTH",
    "DNS1123_SUBDOMAIN_MAX_LENGTH",
    "LABEL_VALUE_MAX_LENGTH",
    "QUALIFIED_NAME_MAX_LENGTH",
    "empty_error",
    "inclusive_range_error",
    "is_c_identifier",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_valid_label_value",
    "is_valid_port_name",
    "is_valid_port_num",
    "max_len_error",
    "regex_error",
]

#: Longest DNS (RFC 1123) label: namespace names, most object names that are DNS labels.
DNS1123_LABEL_MAX_LENGTH = 63
#: Longest DNS (RFC 1123) subdomain: most object names, label key prefixes.
DNS1123_SUBDOMAIN_MAX_LENGTH = 253
#: Longest DNS (RFC 1035) label: Service names.
DNS1035_LABEL_MAX_LENGTH = 63
#: Longest name part of a qualified name (label and annotation keys).
QUALIFIED_NAME_MAX_LENGTH = 63
#: Longest label value.
LABEL_VALUE_MAX_LENGTH = 63

# Memo size for the string checks: large enough for every distinct key and value of a big
# cluster, small enough that a stream of unique names cannot grow memory without bound.
_CACHE_SIZE = 8192

# Regex sources are kept as the upstream text because it is quoted in the error messages.
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_ERR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_ERR = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
_C_IDENTIFIER_ERR = (
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_'"
)
_CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_ENV_VAR_NAME_ERR = (
    "a valid environment variable name must consist only of printable ASCII characters other "
    "than '='"
)

# fullmatch, never ``$``: Python's ``$`` also matches before a trailing newline, Go's does not.
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL_RE = re.compile(_DNS1035_LABEL_FMT)
_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_C_IDENTIFIER_RE = re.compile(_C_IDENTIFIER_FMT)
_CONFIG_MAP_KEY_RE = re.compile(_CONFIG_MAP_KEY_FMT)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER_RE = re.compile("[a-z]")
# Printable ASCII is 0x20 (space, which Go's unicode.IsPrint accepts) to 0x7E, minus '='.
_ENV_VAR_NAME_RE = re.compile("[\x20-\x3c\x3e-\x7e]+")


def max_len_error(length: int) -> str:
    """The upstream "too long" message.

    >>> max_len_error(63)
    'must be no more than 63 characters'
    """
    return f"must be no more than {length} characters"


def empty_error() -> str:
    """The upstream "must not be empty" message.

    >>> empty_error()
    'must be non-empty'
    """
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    """The upstream "out of range" message.

    >>> inclusive_range_error(1, 65535)
    'must be between 1 and 65535, inclusive'
    """
    return f"must be between {lo} and {hi}, inclusive"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """The upstream message for a value that does not match the regex ``fmt``.

    Reproduces upstream's output exactly, including the double space before ``or``:

    >>> regex_error("bad", "[a-z]+", "ab", "cd")
    "bad (e.g. 'ab',  or 'cd', regex used for validation is '[a-z]+')"
    """
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {listed}regex used for validation is '{fmt}')"


def _byte_len(value: str) -> int:
    # Upstream limits count bytes of the UTF-8 encoding (Go's len); only non-ASCII text differs.
    return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))


def _has_chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


@lru_cache(maxsize=_CACHE_SIZE)
def _dns1123_label(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not _DNS1123_LABEL_RE.fullmatch(value):
        if _DNS1123_SUBDOMAIN_RE.fullmatch(value):
            # A valid subdomain that is not a valid label (length was checked above): dots.
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_ERR, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return tuple(errs)


def is_dns1123_label(value: str) -> list[str]:
    """Check a DNS (RFC 1123) label: namespace names and many object names.

    >>> is_dns1123_label("my-name")
    []
    >>> is_dns1123_label("a.b")
    ['must not contain dots']
    """
    return list(_dns1123_label(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _dns1123_subdomain(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return tuple(errs)


def is_dns1123_subdomain(value: str) -> list[str]:
    """Check a DNS (RFC 1123) subdomain: the name of most kinds, label key prefixes.

    >>> is_dns1123_subdomain("example.com")
    []
    >>> is_dns1123_subdomain("x" * 254)[0]
    'must be no more than 253 characters'
    """
    return list(_dns1123_subdomain(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _dns1035_label(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > DNS1035_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1035_LABEL_MAX_LENGTH))
    if not _DNS1035_LABEL_RE.fullmatch(value):
        errs.append(regex_error(_DNS1035_LABEL_ERR, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return tuple(errs)


def is_dns1035_label(value: str) -> list[str]:
    """Check a DNS (RFC 1035) label: Service names, which must start with a letter.

    >>> is_dns1035_label("web")
    []
    >>> len(is_dns1035_label("1web"))
    1
    """
    return list(_dns1035_label(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _qualified_name(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = value
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + msg for msg in _dns1123_subdomain(prefix))
    else:
        return (
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_ERR, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        )
    if not name:
        errs.append("name part " + empty_error())
    elif _byte_len(name) > QUALIFIED_NAME_MAX_LENGTH:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX_LENGTH))
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        errs.append(
            "name part "
            + regex_error(_QUALIFIED_NAME_ERR, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return tuple(errs)


def is_qualified_name(value: str) -> list[str]:
    """Check a qualified name: label and annotation keys, finalizers, condition types.

    An optional DNS subdomain prefix and ``/``, then a name of at most 63 characters.

    >>> is_qualified_name("app.kubernetes.io/name")
    []
    >>> is_qualified_name("/name")
    ['prefix part must be non-empty']
    """
    return list(_qualified_name(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _label_value(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(regex_error(_LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return tuple(errs)


def is_valid_label_value(value: str) -> list[str]:
    """Check a label value; the empty string is a valid value.

    >>> is_valid_label_value("")
    []
    >>> is_valid_label_value("v1.2_beta")
    []
    """
    return list(_label_value(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _port_name(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET_RE.fullmatch(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER_RE.search(value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return tuple(errs)


def is_valid_port_name(value: str) -> list[str]:
    """Check a port name (an IANA_SVC_NAME, RFC 6335): at most 15 of ``[-a-z0-9]``, a letter.

    >>> is_valid_port_name("http-alt")
    []
    >>> is_valid_port_name("8080")
    ['must contain at least one letter (a-z)']
    """
    return list(_port_name(value))


def is_valid_port_num(port: int) -> list[str]:
    """Check a port number: 1 to 65535.

    >>> is_valid_port_num(443)
    []
    >>> is_valid_port_num(65536)
    ['must be between 1 and 65535, inclusive']
    """
    if 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


@lru_cache(maxsize=_CACHE_SIZE)
def _c_identifier(value: str) -> tuple[str, ...]:
    if _C_IDENTIFIER_RE.fullmatch(value):
        return ()
    return (regex_error(_C_IDENTIFIER_ERR, _C_IDENTIFIER_FMT, "my_name", "MY_NAME", "MyName"),)


def is_c_identifier(value: str) -> list[str]:
    """Check a C identifier (format only, not length).

    >>> is_c_identifier("MY_VAR")
    []
    >>> len(is_c_identifier("1abc"))
    1
    """
    return list(_c_identifier(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _env_var_name(value: str) -> tuple[str, ...]:
    if not value:
        return ("environment variable name " + empty_error(),)
    if not _ENV_VAR_NAME_RE.fullmatch(value):
        return (_ENV_VAR_NAME_ERR,)
    return ()


def is_env_var_name(value: str) -> list[str]:
    """Check an environment variable name: any printable ASCII except ``=``, non-empty.

    This is the relaxed rule that is always on in v1.34 (RelaxedEnvironmentVariableValidation).

    >>> is_env_var_name("1 weird.NAME")
    []
    >>> is_env_var_name("A=B")[0].endswith("other than '='")
    True
    """
    return list(_env_var_name(value))


@lru_cache(maxsize=_CACHE_SIZE)
def _config_map_key(value: str) -> tuple[str, ...]:
    errs: list[str] = []
    if _byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _CONFIG_MAP_KEY_RE.fullmatch(value):
        errs.append(
            regex_error(
                _CONFIG_MAP_KEY_ERR, _CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME", "key-name"
            )
        )
    errs.extend(_has_chdir_prefix(value))
    return tuple(errs)


def is_config_map_key(value: str) -> list[str]:
    """Check a ConfigMap or Secret data key: ``[-._a-zA-Z0-9]+``, not ``.``/``..``-prefixed.

    >>> is_config_map_key("app.properties")
    []
    >>> is_config_map_key("..data")
    ["must not start with '..'"]
    """
    return list(_config_map_key(value))
