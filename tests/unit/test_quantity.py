"""Kubernetes quantities: every suffix family parses to base units, and garbage is refused."""

import pytest

from detector.limits.quantity import parse_quantity


@pytest.mark.parametrize(
    "text, value",
    [
        ("20Gi", 20 * 2**30),
        ("512Mi", 512 * 2**20),
        ("1Ki", 1024),
        ("1.5Ti", 1.5 * 2**40),
        ("2Pi", 2 * 2**50),
        ("1Ei", 2**60),
        ("1G", 1e9),
        ("500M", 5e8),
        ("3k", 3e3),
        ("2T", 2e12),
        ("1P", 1e15),
        ("1E", 1e18),
        ("250m", 0.25),
        ("100u", 1e-4),
        ("7n", 7e-9),
        ("1e3", 1e3),
        ("5E-1", 0.5),
        ("12", 12.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("+4", 4.0),
        (1073741824, 1073741824.0),
        (0.25, 0.25),
    ],
)
def test_valid_quantities_parse_to_base_units(text, value):
    assert parse_quantity(text) == pytest.approx(value)


def test_the_exa_suffix_and_the_exponent_are_told_apart():
    assert parse_quantity("2E") == 2e18
    assert parse_quantity("2E2") == 200.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "Gi",
        "1.5Gb",
        "20 Gi",
        "1gi",
        "ten",
        "1e",
        "1e1.5",
        "--1",
        "0x10",
        "1Ki2",
        True,
        None,
        float("nan"),
        float("inf"),
        "1e400",
        ["1Gi"],
    ],
)
def test_garbage_is_a_value_error_that_names_the_text(text):
    with pytest.raises(ValueError, match="quantity|out of range"):
        parse_quantity(text)
