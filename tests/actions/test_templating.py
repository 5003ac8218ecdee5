"""Templates without an org: the text subset, JSON leaves, SOQL literals, bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from server.actions.soql_template import MAX_SOQL_CHARS, SoqlTemplate, soql_bare, soql_quoted
from server.actions.templating import (
    MAX_RENDERED_CHARS,
    OMITTED,
    RenderError,
    TemplateError,
    TextTemplate,
    compile_json,
    render_json,
)
from server.values import ValueCoercionError


def _same(_slot: Any, value: Any) -> Any:
    return value


def test_quoted_content_escapes_the_backslash_once_and_everything_after() -> None:
    """Backslash, quotes and control characters become SOQL escapes; nothing is escaped twice."""
    assert soql_quoted("a\\b") == "a\\\\b"
    assert soql_quoted("it's") == "it\\'s"
    assert soql_quoted('say "hi"') == 'say \\"hi\\"'
    assert soql_quoted("\\'") == "\\\\\\'"
    assert soql_quoted("ends\\") == "ends\\\\"
    assert soql_quoted("\n\r\t\b\f") == "\\n\\r\\t\\b\\f"
    assert soql_quoted("\x00\x1b") == "\\u0000\\u001b"
    assert soql_quoted("50%_off") == "50%_off"
    assert soql_quoted("50%_off\\", like=True) == "50\\%\\_off\\\\"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-3, "-3"),
        (1250.5, "1250.5"),
        (1e-7, "0.0000001"),
        (Decimal("12.50"), "12.50"),
        ("2026-03-05", "2026-03-05"),
        ("2026-03-05T14:30:00.000Z", "2026-03-05T14:30:00.000Z"),
        ("2026-03-05T14:30:00+02:00", "2026-03-05T14:30:00+02:00"),
    ],
)
def test_bare_literals_are_numbers_booleans_dates_or_datetimes(value: Any, literal: str) -> None:
    """Unquoted values are written in SOQL's own forms."""
    assert soql_bare(value) == literal


@pytest.mark.parametrize(
    "value",
    [
        "1 OR Id != null",
        "5)",
        "true OR",
        "2026-03-05 OR Id != null",
        "\u0662\u0660\u0662\u0666-\u0660\u0663-\u0660\u0665",  # Arabic-Indic digits
        "null",
        "",
        float("nan"),
        [1],
    ],
)
def test_anything_else_is_refused_unquoted(value: Any) -> None:
    """'1 OR Id != null' is not a number: nothing but a literal can stand unquoted."""
    with pytest.raises(ValueError, match="not"):
        soql_bare(value)


def test_an_unquoted_slot_refuses_text() -> None:
    """A value that is not a number where a number stands is a coercion error naming it."""
    template = SoqlTemplate.parse("SELECT Id FROM Opportunity WHERE Amount > {{ amount }}")
    assert template.render({"amount": 5}, _same).endswith("Amount > 5")
    with pytest.raises(ValueCoercionError, match="amount"):
        template.render({"amount": "5 OR Amount < 0"}, _same)


def test_adjacent_variables_cannot_join_literals() -> None:
    """A value ending in a backslash next to another variable leaves both literals closed."""
    template = SoqlTemplate.parse(
        "SELECT Id FROM Contact WHERE FirstName = '{{ a }}' AND LastName = '{{ b }}'"
    )
    soql = template.render({"a": "x\\", "b": " OR Id != null OR Name = "}, _same)
    assert soql == (
        "SELECT Id FROM Contact WHERE FirstName = 'x\\\\' AND "
        "LastName = ' OR Id != null OR Name = '"
    )


def test_slots_know_their_field_operator_and_object() -> None:
    """Each placeholder is located: quoted or not, the field, the operator, the SELECT's object."""
    template = SoqlTemplate.parse(
        "SELECT Id, Name, Account.Name, (SELECT Id FROM Cases) FROM Contact "
        "WHERE Email = '{{ email }}' AND Phone LIKE '%{{ phone | digits_pattern(7) }}' "
        "AND Id IN (SELECT ContactId FROM Case WHERE Status NOT IN ('New', '{{ status }}')) "
        "AND Birthdate > {{ born }} AND Type__c INCLUDES ('{{ kind }}') LIMIT {{ most }}"
    )
    assert template.sobject == "Contact"
    assert template.selected == ("Id", "Name", "Account.Name")
    assert [
        (s.variable, s.quoted, s.operator, s.field, s.sobject, s.digits) for s in template.slots
    ] == [
        ("email", True, "=", "Email", "Contact", None),
        ("phone", True, "LIKE", "Phone", "Contact", 7),
        ("status", True, "NOT IN", "Status", "Case", None),
        ("born", False, ">", "Birthdate", "Contact", None),
        ("kind", True, "INCLUDES", "Type__c", "Contact", None),
        ("most", False, "LIMIT", None, "Contact", None),
    ]


def test_digits_pattern_matches_any_stored_format() -> None:
    """The last n digits joined by %, only digits and wildcards; too few digits is refused."""
    template = SoqlTemplate.parse(
        "SELECT Id FROM Contact WHERE Phone LIKE '%{{ phone | digits_pattern(10) }}'"
    )
    assert template.render({"phone": "+1 (415) 555-0100"}, _same).endswith(
        "LIKE '%4%1%5%5%5%5%0%1%0%0'"
    )
    with pytest.raises(ValueCoercionError, match="at least 10 digits"):
        template.render({"phone": "555-0100"}, _same)
    hostile = template.render({"phone": "4155550100' OR Name != '"}, _same)
    assert hostile.endswith("LIKE '%4%1%5%5%5%5%0%1%0%0'")


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        ("SELECT Id FROM {{ sobject }}", "can only stand for a value"),
        ("SELECT {{ field }} FROM Contact", "can only stand for a value"),
        ("SELECT Id FROM Contact ORDER BY {{ order }}", "can only stand for a value"),
        ("SELECT Id FROM Contact WHERE Name = x{{ name }}", "can only stand for a value"),
        ("SELECT Id FROM Contact WHERE Name = {{ name }}x", "followed by a space"),
        ("SELECT Id FROM Contact WHERE Name = 'a\\{{ name }}'", "backslash"),
        ("SELECT Id FROM Contact WHERE Name LIKE {{ name }}", "quotes around the LIKE"),
        ("SELECT Id FROM Contact WHERE Name = '{{ name | digits_pattern(7) }}'", "LIKE"),
        ("SELECT Id FROM Contact WHERE Name = '{{ name.upper() }}'", "is not allowed in SOQL"),
        ("SELECT Id FROM Contact WHERE Name = '{{ name | lower }}'", "is not allowed in SOQL"),
        ("SELECT Id FROM Contact {% if x %}WHERE Id = '1'{% endif %}", "only {{ variable }}"),
        ("SELECT Id FROM Contact WHERE Name = '{{ name }}", "not closed"),
        ("SELECT Id FROM Contact WHERE Name = '{{ name }", "syntax error on line 1"),
        ("SELECT Id FROM Contact LIMIT '{{ n }}'", "remove the quotes"),
        ("SELECT Id FROM Contact WHERE Phone LIKE '%{{ p | digits_pattern(0) }}'", "4 to 15"),
        ("DELETE FROM Contact", "must start with SELECT"),
    ],
)
def test_soql_templates_that_cannot_be_filled_safely_are_refused(soql: str, message: str) -> None:
    """A variable anywhere but a value position, or a template trick, is a load-time error."""
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace("{", r"\{")):
        SoqlTemplate.parse(soql)


def test_a_huge_query_is_refused() -> None:
    """Values that would make the statement longer than Salesforce takes end in a clear error."""
    template = SoqlTemplate.parse("SELECT Id FROM Contact WHERE Name IN ('{{ a }}', '{{ a }}')")
    with pytest.raises(RenderError, match="longer than"):
        template.render({"a": "x" * (MAX_SOQL_CHARS // 2)}, _same)


def test_a_leaf_that_is_one_variable_keeps_its_type() -> None:
    """Whole leaves take the typed value; mixed text renders to a string; keys never render."""
    tree = compile_json(
        {
            "Count": "{{ n }}",
            "Flag": "{{ flag }}",
            "Note": "{{ n }} items, urgent: {{ flag }}",
            "{{ n }}": "constant",
            "Nested": [{"Value": "{{ name }}"}, 7, True],
        }
    )
    out = render_json(tree, {"n": 3, "flag": False, "name": "Ana"})
    assert out == {
        "Count": 3,
        "Flag": False,
        "Note": "3 items, urgent: false",
        "{{ n }}": "constant",
        "Nested": [{"Value": "Ana"}, 7, True],
    }


def test_values_are_never_template_source() -> None:
    """A value that looks like a template is inserted as text, in leaves and in mixed text."""
    tree = compile_json({"A": "{{ v }}", "B": "said: {{ v }}"})
    value = "{{ 7*7 }}{% for x in range(10**9) %}x{% endfor %}"
    assert render_json(tree, {"v": value}) == {"A": value, "B": f"said: {value}"}


def test_an_omitted_optional_variable_drops_its_leaf() -> None:
    """OMITTED leaves out a whole leaf and renders as nothing in text."""
    tree = compile_json({"A": "{{ a }}", "B": "x{{ a }}y", "C": ["{{ a }}", 1]})
    assert render_json(tree, {"a": OMITTED}) == {"B": "xy", "C": [1]}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ x.__class__ }}", "attributes are not allowed"),
        ("{{ call.__class__ }}", "attributes are not allowed"),
        ("{{ call.id.upper }}", "attributes are not allowed"),
        ("{{ call['id'] }}", "'Getitem' is not allowed"),
        ("{{ call }}", "'call' is reserved"),
        ("{{ call | lower }}", "'call' is reserved"),
        ("{{ x['a'] }}", "'Getitem' is not allowed"),
        ("{{ x.upper() }}", "is not allowed"),
        ("{{ 'a' * 10000000 }}", "'Mul' is not allowed"),
        ("{{ 9 ** 9 ** 9 }}", "'Pow' is not allowed"),
        ("{% for i in range(9) %}{{ i }}{% endfor %}", "'For' is not allowed"),
        ("{% set y = 1 %}", "'Assign' is not allowed"),
        ("{{ x | center(1000000000) }}", "the filter 'center' is not available"),
        ("{{ x | format('%s') }}", "the filter 'format' is not available"),
        ("{{ lipsum() }}", "is not allowed"),
        ("{{ x is callable }}", "the test 'callable' is not available"),
        ("{{ x ", "syntax error"),
    ],
)
def test_text_templates_are_held_to_a_bounded_subset(source: str, message: str) -> None:
    """No attributes, calls, loops, arithmetic or unbounded filters: no runaway template."""
    with pytest.raises(TemplateError, match=message.replace("(", r"\(")):
        TextTemplate.parse(source)


def test_the_allowed_subset_renders() -> None:
    """Variables, constants, ~, if, comparisons and the listed filters work."""
    template = TextTemplate.parse(
        "{{ name | trim | title }}{% if vip %} (VIP){% endif %} ~ {{ note | default('none') }}"
        "{{ ' #' ~ n if n is not none else '' }}"
    )
    assert template.variables == {"name", "vip", "note", "n"}
    assert template.render({"name": " ana ", "vip": True, "note": "", "n": 3}) == (
        "Ana (VIP) ~  #3"
    )


def test_a_missing_variable_is_refused() -> None:
    """StrictUndefined: a variable without a value is an error, never an empty string."""
    with pytest.raises(ValueCoercionError, match="undefined"):
        TextTemplate.parse("Hello {{ name }}").render({})


def test_rendered_text_is_bounded() -> None:
    """A template whose output would pass the limit stops with a clear error."""
    template = TextTemplate.parse("{{ v }}" * 20 + " ")
    with pytest.raises(RenderError, match="more than"):
        template.render({"v": "x" * (MAX_RENDERED_CHARS // 10)})


def test_endpoint_values_are_one_encoded_segment() -> None:
    """In a URL template each value is percent-encoded: '/', '?', '#', '%' stay data."""
    template = TextTemplate.parse("/services/apexrest/orders/{{ number }}/items", mode="url")
    assert template.render({"number": "../a?b#c%d e"}) == (
        "/services/apexrest/orders/..%2Fa%3Fb%23c%25d%20e/items"
    )


def test_an_endpoint_that_is_one_variable_is_still_encoded() -> None:
    """A URL template never passes a value through as it is, even when it is the whole string."""
    template = TextTemplate.parse("{{ path }}", mode="url")
    assert template.whole is None
    assert template.render({"path": "/services/oauth2/token"}) == "%2Fservices%2Foauth2%2Ftoken"


def test_an_omitted_variable_is_false_in_a_condition() -> None:
    """{% if note %} does not fire for a variable the agent left out."""
    template = TextTemplate.parse("Call{% if note %}: {{ note }}{% endif %}")
    assert template.render({"note": OMITTED}) == "Call"
    assert template.render({"note": "late"}) == "Call: late"
