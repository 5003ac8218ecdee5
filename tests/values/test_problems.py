"""Problems: all reported in one error, each naming its field, values quoted short and escaped."""

from __future__ import annotations

import pytest

from server.values import FieldProblem, ValueCoercionError
from tests.helpers.values import problems, record, refusal


def test_every_problem_is_reported_at_once() -> None:
    """All problems come in one error, in data order, one line each."""
    data = {
        "Emial": "ana@example.com",
        "Email": "ana at example",
        "Birthdate": "13/45/1990",
        "Phone": "call me",
        "Name": "Ana Lopez",
    }
    messages = problems("Contact", data)
    assert [m.split(" ", 1)[0].rstrip(":") for m in messages] == [
        "Contact",
        "Email",
        "Birthdate",
        "Phone",
        "Name",
        "Missing",
    ]


def test_problems_carry_the_field_api_name() -> None:
    """Each FieldProblem names its field's API name; str() is the message."""
    with pytest.raises(ValueCoercionError) as caught:
        record("Contact", {"lastname": "Lopez", "email": "nope"})
    [problem] = caught.value.problems
    assert isinstance(problem, FieldProblem)
    assert problem.field == "Email"
    assert str(problem) == problem.message
    assert isinstance(caught.value, ValueError)


def test_quoted_values_are_truncated_and_escaped() -> None:
    """Messages quote at most ~60 characters of the value, with control characters escaped."""
    message = refusal(("Contact", "FirstName"), "x\n" * 100)
    quoted = message.split("'")[1]
    assert len(quoted) <= 60
    assert quoted.endswith("…")
    assert "\n" not in message
