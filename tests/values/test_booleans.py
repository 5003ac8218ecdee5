"""Boolean values: the words and numbers that mean true or false."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.values import refusal, value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("Y", True),
        (" TRUE ", True),
        ("on", True),
        ("1", True),
        (1, True),
        ("no", False),
        ("n", False),
        ("False", False),
        ("off", False),
        ("0", False),
        (0, False),
    ],
)
def test_boolean_values(given: Any, expected: bool) -> None:
    """Booleans: true/false, yes/no, y/n, on/off, 1/0 in any case, and the integers 0 and 1."""
    assert value(("Event", "IsPrivate"), given) is expected


@pytest.mark.parametrize("given", ["maybe", "yep", 2, 1.0, "2"])
def test_boolean_refusals(given: Any) -> None:
    """Anything else is refused with the accepted words listed."""
    message = refusal(("Event", "IsPrivate"), given)
    assert message.startswith("IsPrivate (Private): ")
    assert (
        "is not true or false — give true or false (yes/no, y/n, on/off and 1/0 also work)"
        in message
    )
