"""Name validation: the rules and the exact messages of upstream k8s.io/apimachinery validation."""

from __future__ import annotations

import pytest

from kube_actors.api import names

# The upstream messages, spelled out once so the tables below stay readable. Note the double
# space before "or": upstream's RegexError really produces it, and clients may match on it.
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
TOO_MANY_SLASHES_MSG = (
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
    "subdomain prefix and '/' (e.g. 'example.com/MyName')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
C_IDENTIFIER_MSG = (
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used "
    "for validation is '[A-Za-z_][A-Za-z0-9_]*')"
)
ENV_VAR_MSG = (
    "a valid environment variable name must consist only of printable ASCII characters other "
    "than '='"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
MAX63 = "must be no more than 63 characters"
MAX253 = "must be no more than 253 characters"


@pytest.mark.parametrize(
    "value", ["a", "0", "ab", "a-b", "a--b", "1-2", "abc-123", "my-name", "a" * 63]
)
def test_dns1123_label_valid(value: str) -> None:
    assert names.is_dns1123_label(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("", [LABEL_MSG]),
        ("A", [LABEL_MSG]),
        ("-a", [LABEL_MSG]),
        ("a-", [LABEL_MSG]),
        ("a_b", [LABEL_MSG]),
        ("a b", [LABEL_MSG]),
        ("a.b", ["must not contain dots"]),
        ("a" * 64, [MAX63]),
        ("a" * 64 + "-", [MAX63, LABEL_MSG]),
        # Python's "$" would accept a trailing newline; Go's (and ours) does not.
        ("a\n", [LABEL_MSG]),
        ("ä", [LABEL_MSG]),
    ],
)
def test_dns1123_label_invalid(value: str, errors: list[str]) -> None:
    assert names.is_dns1123_label(value) == errors


@pytest.mark.parametrize(
    "value",
    ["a", "example.com", "a.b.c", "1.2.3.4", "a-b.c-d", "x" * 253, ".".join(["a" * 63] * 3)],
)
def test_dns1123_subdomain_valid(value: str) -> None:
    assert names.is_dns1123_subdomain(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("", [SUBDOMAIN_MSG]),
        ("Example.com", [SUBDOMAIN_MSG]),
        (".a", [SUBDOMAIN_MSG]),
        ("a.", [SUBDOMAIN_MSG]),
        ("a..b", [SUBDOMAIN_MSG]),
        ("a_b.com", [SUBDOMAIN_MSG]),
        ("a-.com", [SUBDOMAIN_MSG]),
        ("x" * 254, [MAX253]),
        ("x" * 253 + ".", [MAX253, SUBDOMAIN_MSG]),
        ("a.com\n", [SUBDOMAIN_MSG]),
    ],
)
def test_dns1123_subdomain_invalid(value: str, errors: list[str]) -> None:
    assert names.is_dns1123_subdomain(value) == errors


@pytest.mark.parametrize("value", ["a", "abc-123", "my-service", "a" * 63])
def test_dns1035_label_valid(value: str) -> None:
    assert names.is_dns1035_label(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("", [DNS1035_MSG]),
        ("1a", [DNS1035_MSG]),
        ("a-", [DNS1035_MSG]),
        ("A", [DNS1035_MSG]),
        ("a.b", [DNS1035_MSG]),
        ("a" * 64, [MAX63]),
    ],
)
def test_dns1035_label_invalid(value: str, errors: list[str]) -> None:
    assert names.is_dns1035_label(value) == errors


@pytest.mark.parametrize(
    "value",
    [
        "a",
        "A",
        "1",
        "a_b",
        "a.b",
        "a-b",
        "MyName",
        "x" * 63,
        "example.com/name",
        "k8s.io/Name_x",
        "app.kubernetes.io/name",
        "a/b",
        "x" * 253 + "/" + "y" * 63,
    ],
)
def test_qualified_name_valid(value: str) -> None:
    assert names.is_qualified_name(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("", ["name part must be non-empty", NAME_PART_MSG]),
        ("-a", [NAME_PART_MSG]),
        ("a-", [NAME_PART_MSG]),
        ("a b", [NAME_PART_MSG]),
        ("x" * 64, ["name part " + MAX63]),
        ("/a", ["prefix part must be non-empty"]),
        ("a/", ["name part must be non-empty", NAME_PART_MSG]),
        ("Example.com/a", ["prefix part " + SUBDOMAIN_MSG]),
        ("x" * 254 + "/a", ["prefix part " + MAX253]),
        ("a/b/c", [TOO_MANY_SLASHES_MSG]),
        ("example.com/-a", [NAME_PART_MSG]),
        ("a\n", [NAME_PART_MSG]),
    ],
)
def test_qualified_name_invalid(value: str, errors: list[str]) -> None:
    assert names.is_qualified_name(value) == errors


@pytest.mark.parametrize("value", ["", "a", "A-b_c.d", "12345", "my_value", "x" * 63])
def test_label_value_valid(value: str) -> None:
    assert names.is_valid_label_value(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("-a", [LABEL_VALUE_MSG]),
        ("a-", [LABEL_VALUE_MSG]),
        ("a b", [LABEL_VALUE_MSG]),
        ("a/b", [LABEL_VALUE_MSG]),
        ("x" * 64, [MAX63]),
        ("-" * 64, [MAX63, LABEL_VALUE_MSG]),
        # Limits count UTF-8 bytes like Go's len(): 32 two-byte characters are 64 bytes.
        ("é" * 32, [MAX63, LABEL_VALUE_MSG]),
    ],
)
def test_label_value_invalid(value: str, errors: list[str]) -> None:
    assert names.is_valid_label_value(value) == errors


@pytest.mark.parametrize("value", ["http", "h-t-t-p", "a1", "1a", "x" * 15])
def test_port_name_valid(value: str) -> None:
    assert names.is_valid_port_name(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        (
            "",
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)",
            ],
        ),
        (
            "HTTP",
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)",
            ],
        ),
        ("8080", ["must contain at least one letter (a-z)"]),
        ("a--b", ["must not contain consecutive hyphens"]),
        ("-a", ["must not begin or end with a hyphen"]),
        ("a-", ["must not begin or end with a hyphen"]),
        ("x" * 16, ["must be no more than 15 characters"]),
    ],
)
def test_port_name_invalid(value: str, errors: list[str]) -> None:
    assert names.is_valid_port_name(value) == errors


@pytest.mark.parametrize(
    ("port", "valid"),
    [(1, True), (80, True), (65535, True), (0, False), (-1, False), (65536, False)],
)
def test_port_num(port: int, valid: bool) -> None:
    expected = [] if valid else ["must be between 1 and 65535, inclusive"]
    assert names.is_valid_port_num(port) == expected


@pytest.mark.parametrize(
    ("value", "valid"),
    [("_", True), ("a1", True), ("A_B", True), ("", False), ("1a", False), ("a-b", False)],
)
def test_c_identifier(value: str, valid: bool) -> None:
    assert names.is_c_identifier(value) == ([] if valid else [C_IDENTIFIER_MSG])


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("A", []),
        ("1", []),
        ("my.env-name", []),
        ("a b", []),
        ("~!@#$%^&*()", []),
        ("", ["environment variable name must be non-empty"]),
        ("a=b", [ENV_VAR_MSG]),
        ("é", [ENV_VAR_MSG]),
        ("a\tb", [ENV_VAR_MSG]),
        ("a\x7f", [ENV_VAR_MSG]),
    ],
)
def test_env_var_name_is_relaxed(value: str, errors: list[str]) -> None:
    assert names.is_env_var_name(value) == errors


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("a", []),
        (".a", []),
        ("a..b", []),
        ("-_.", []),
        ("KEY_NAME", []),
        ("", [CONFIG_KEY_MSG]),
        (".", ["must not be '.'"]),
        ("..", ["must not be '..'"]),
        ("..a", ["must not start with '..'"]),
        ("a/b", [CONFIG_KEY_MSG]),
        ("x" * 254, [MAX253]),
    ],
)
def test_config_map_key(value: str, errors: list[str]) -> None:
    assert names.is_config_map_key(value) == errors


def test_results_are_fresh_lists() -> None:
    # The checks are memoised; a caller appending to a result must not change later answers.
    first = names.is_dns1123_label("Bad")
    first.append("mine")
    assert names.is_dns1123_label("Bad") == [LABEL_MSG]
    ok = names.is_dns1123_label("good")
    ok.append("mine")
    assert names.is_dns1123_label("good") == []


def test_regex_error_formats_like_upstream() -> None:
    assert names.regex_error("m", "f") == "m (regex used for validation is 'f')"
    assert names.regex_error("m", "f", "a") == "m (e.g. 'a', regex used for validation is 'f')"
    assert names.regex_error("m", "f", "a", "b") == (
        "m (e.g. 'a',  or 'b', regex used for validation is 'f')"
    )
