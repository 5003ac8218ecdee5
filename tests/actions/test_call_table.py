"""Call variables without an org: the ``[call]`` table, ``{{ call.<name> }}`` in every template
kind, and every misuse refused at load with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.actions.loading import load_actions
from server.actions.model import ActionFileError
from server.actions.soql_template import SoqlTemplate
from server.actions.templating import OMITTED, TextTemplate, compile_json, render_json
from server.toolkit.call import CallBindings, CallVariable
from tests.helpers.action_files import write_actions

TABLE = """
[call]
id = { header = "X-Vapi-Call-Id" }
agent = { header = "X-Agent-Name", required = false }
line = { header = "X-Line", type = "phone" }
"""
LOG = """
[[action]]
name = "log_it"
kind = "create"
object = "Task"
description = "Log the call."
data.Subject = "{{ subject }}"
data.CallObject = "{{ call.id }}"
data.Description = "{{ call.caller_number }}{% if call.agent %} via {{ call.agent }}{% endif %}"
"""

#: LOG reading only the call variables there are without a table.
PLAIN_LOG = LOG.replace("call.agent", "call.id")

#: Actions reading call variables in each kind of template.
KINDS = """
[[action]]
name = "by_call"
kind = "query"
soql = "SELECT Id FROM Task WHERE CallObject = '{{ call.id }}' AND Subject LIKE '{{ topic }}%'"

[[action]]
name = "by_line"
kind = "query"
soql = "SELECT Id FROM Lead WHERE Phone LIKE '%{{ call.line | digits_pattern(10) }}'"

[[action]]
name = "read"
kind = "api_call"
method = "POST"
endpoint = "/services/apexrest/calls/{{ call.id }}"
headers = { X-Agent = "{{ call.agent }}" }
body = { number = "{{ call.caller_number }}", items = ["{{ call.id }}"] }
"""


def _problems(tmp_path: Path, text: str, calls: CallBindings | None = None) -> list[str]:
    path = write_actions(tmp_path, text)
    with pytest.raises(ActionFileError) as caught:
        load_actions(path, calls)
    return [str(problem).removeprefix(f"{path}: ") for problem in caught.value.problems]


def test_the_table_replaces_and_adds_to_the_defaults(tmp_path: Path) -> None:
    """`[call]` entries replace a default by name and add new ones; the rest stay."""
    action_set = load_actions(write_actions(tmp_path, TABLE + LOG))
    assert dict(action_set.call.variables) == {
        "id": CallVariable("id", "X-Vapi-Call-Id", "text", required=True),
        "caller_number": CallVariable("caller_number", "X-Caller-Number", "phone"),
        "agent": CallVariable("agent", "X-Agent-Name", "text", required=False),
        "line": CallVariable("line", "X-Line", "phone"),
    }
    [action] = action_set.actions
    assert action.variables == ("subject",), "call variables are never arguments"
    assert action.call_variables == ("id", "agent", "caller_number")


def test_without_a_table_the_bindings_are_those_given(tmp_path: Path) -> None:
    """No `[call]`: the bindings of CALLFORCE_CALL_HEADERS (or the defaults) are the file's."""
    env = CallBindings.from_headers({"id": "X-Retell-Call", "crm": "X-Crm-Key"})
    body = PLAIN_LOG.replace("{{ call.id }}", "{{ call.crm }}", 1)
    action_set = load_actions(write_actions(tmp_path, body), env)
    assert action_set.call == env
    assert action_set.actions[0].call_variables == ("crm", "caller_number", "id")
    defaults = load_actions(write_actions(tmp_path, body.replace("call.crm", "call.id"), "d.toml"))
    assert defaults.call == CallBindings()


def test_the_table_layers_over_the_environment(tmp_path: Path) -> None:
    """A `[call]` entry wins over CALLFORCE_CALL_HEADERS; the environment's others stay."""
    env = CallBindings.from_headers({"id": "X-Retell-Call", "crm": "X-Crm-Key"})
    action_set = load_actions(write_actions(tmp_path, TABLE + LOG), env)
    headers = {name: v.header for name, v in action_set.call.variables.items()}
    assert headers["id"] == "X-Vapi-Call-Id"
    assert headers["crm"] == "X-Crm-Key"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'agent = { header = "X Agent" }',
            "call.agent.header: 'X Agent' is not an HTTP header name",
        ),
        ('agent = { header = "X-Agent:" }', "call.agent.header: 'X-Agent:' is not an HTTP header"),
        ('agent = { header = "" }', "call.agent.header: '' is not an HTTP header name"),
        (
            'agent = { header = "Authorization" }',
            "call.agent.header: Authorization carries the client's credentials",
        ),
        ('agent = { header = "cookie" }', "call.agent.header: cookie carries"),
        ('agent = { header = "X-Agent", typ = "text" }', "call.agent.typ: unknown key; did you "),
        ('agent = { header = "X-Agent", type = "number" }', "call.agent.type: Input should be"),
        ('agent = { header = "X-Agent", required = "no" }', "call.agent.required: Input should"),
        ('agent = { type = "phone" }', "call.agent.header: give the header the platform sends"),
        ('agent = "X-Agent"', 'call.agent: give a table: agent = { header = "X-…" }'),
        ('"1st" = { header = "X-First" }', "call.1st: a call variable's name has letters"),
        ('"the agent" = { header = "X-A" }', "call.the agent: a call variable's name has"),
    ],
)
def test_a_broken_call_table_is_refused_with_its_place(
    tmp_path: Path, table: str, expected: str
) -> None:
    """Each wrong `[call]` entry is a problem naming call.<name>(.key); nothing is served."""
    problems = _problems(tmp_path, f"[call]\n{table}\n" + PLAIN_LOG)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_call_must_be_a_table(tmp_path: Path) -> None:
    """`call = …` that is not a table is refused at its key."""
    assert _problems(tmp_path, "call = 3\n" + PLAIN_LOG) == [
        'call: give a [call] table: name = { header = "X-…" }'
    ]


def test_an_unknown_call_variable_names_the_configured_ones(tmp_path: Path) -> None:
    """`{{ call.x }}` that no binding has: located, listing the call variables, with a hint."""
    problems = _problems(tmp_path, TABLE + LOG.replace("call.agent %", "call.agnt %"))
    assert problems == [
        "action 'log_it': data.Description: there is no call.agnt; the call variables are "
        "call.id, call.caller_number, call.agent, call.line (see [call]) — did you mean "
        "call.agent?"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'kind = "query"\nsoql = "SELECT Id FROM Task WHERE CallObject = \'{{ call.nope }}\'"',
            "action 'a': soql: there is no call.nope",
        ),
        (
            'kind = "update"\nobject = "Task"\nid = "{{ call.nope }}"\ndata = { Subject = "x" }',
            "action 'a': id: there is no call.nope",
        ),
        (
            'kind = "api_call"\nmethod = "GET"\nendpoint = "/services/data/v6/x/{{ call.nope }}"',
            "action 'a': endpoint: there is no call.nope",
        ),
        (
            'kind = "api_call"\nmethod = "GET"\nendpoint = "/services/data/v62.0/x"\n'
            'headers = { X-Why = "{{ call.nope }}" }',
            "action 'a': headers.X-Why: there is no call.nope",
        ),
        (
            'kind = "query"\nsoql = "SELECT Id FROM Task WHERE CallObject = \'{{ call.agent }}\'"',
            "action 'a': soql: call.agent is optional (required = false in [call]): it can "
            "stand only in data, records, body or headers",
        ),
        (
            'kind = "update"\nobject = "Task"\nid = "{{ call.agent }}"\ndata = { Subject = "x" }',
            "action 'a': id: call.agent is optional",
        ),
        (
            'kind = "create"\nobject = "Task"\ndata = { Subject = "{{ call }}" }',
            "action 'a': data.Subject: 'call' is reserved: it holds the call variables",
        ),
        (
            'kind = "query"\nsoql = "SELECT Id FROM Task WHERE CallObject = \'{{ call }}\'"',
            "action 'a': soql: 'call' is reserved",
        ),
        (
            'kind = "create"\nobject = "Task"\ndata = { Subject = "{{ call.id.x }}" }',
            "action 'a': data.Subject: attributes are not allowed",
        ),
        (
            'kind = "create"\nobject = "Task"\ndata = { Subject = "{{ x.id }}" }',
            "action 'a': data.Subject: attributes are not allowed",
        ),
        (
            'kind = "create"\nobject = "Task"\ndata = { Subject = "{{ s }}" }\n'
            'variables.call = { description = "x" }',
            "action 'a': variables.call: the call variables come from the voice platform",
        ),
        (
            'kind = "create"\nobject = "Task"\ndata = { Subject = "{{ call.id }}" }\n'
            'variables."call.id" = { description = "x" }',
            "action 'a': variables.call.id: the call variables come from the voice platform",
        ),
    ],
)
def test_misused_call_variables_are_refused_with_their_place(
    tmp_path: Path, body: str, expected: str
) -> None:
    """Unknown names, optional ones where leaving them out changes the request, a bare `call`,
    any other attribute, and `variables.call` are load problems at their key."""
    problems = _problems(tmp_path, TABLE + f'[[action]]\nname = "a"\n{body}\n')
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_call_variables_stand_in_every_template_kind(tmp_path: Path) -> None:
    """SOQL slots, ids, endpoints, headers and JSON leaves all read call.<name>."""
    text = TABLE + KINDS
    by_call, by_line, read = load_actions(write_actions(tmp_path, text)).actions
    assert (by_call.variables, by_call.call_variables) == (("topic",), ("id",))
    assert [(s.variable, s.field) for s in by_line.soql.slots] == [("call.line", "Phone")]  # type: ignore[union-attr]
    assert read.variables == ()
    assert read.call_variables == ("id", "agent", "caller_number")


def test_text_and_json_render_call_values_as_data() -> None:
    """A leaf that is exactly {{ call.id }} keeps the value; in text and URLs it is data."""
    whole = TextTemplate.parse("{{ call.id }}")
    assert (whole.variables, whole.whole) == ({"call.id"}, "call.id")
    values = {"call.id": "{{ 7*7 }}", "call.agent": OMITTED, "name": "Ana", "call.items": "v"}
    tree = compile_json(
        {"A": "{{ call.id }}", "B": "{{ call.agent }}", "C": "{{ name }}/{{ call.id }}"}
    )
    assert render_json(tree, values) == {"A": "{{ 7*7 }}", "C": "Ana/{{ 7*7 }}"}
    mixed = TextTemplate.parse("{% if call.agent %}by {{ call.agent }}{% else %}alone{% endif %}")
    assert mixed.render(values) == "alone"
    assert mixed.render({"call.agent": "Bo"}) == "by Bo"
    url = TextTemplate.parse("/services/apexrest/calls/{{ call.id }}", mode="url")
    assert url.whole is None
    assert url.render({"call.id": "../x?y"}) == "/services/apexrest/calls/..%2Fx%3Fy"
    # The namespace has no methods of its own: a call variable named like one is the value.
    assert TextTemplate.parse("{{ call.items }}!").render(values) == "v!"


def test_a_call_value_lands_in_an_escaped_literal() -> None:
    """In SOQL a call value is escaped like any value: quotes cannot end the literal."""
    soql = SoqlTemplate.parse("SELECT Id FROM Task WHERE CallObject = '{{ call.id }}'")
    [slot] = soql.slots
    assert (slot.variable, slot.field, slot.quoted) == ("call.id", "CallObject", True)
    rendered = soql.render({"call.id": "x' OR Id != null OR Subject = '"}, lambda _, v: v)
    assert rendered == (
        "SELECT Id FROM Task WHERE CallObject = 'x\\' OR Id != null OR Subject = \\''"
    )
