"""Action files: every problem is reported with its place (file, action, key), at load time
without an org and at check time against it; a file with problems makes no tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.actions.check import check_actions
from server.actions.loading import load_actions
from server.actions.model import ActionFileError
from server.actions.specs import build_action_specs
from tests.helpers.action_files import OrgAccess, write_actions

CREATE = """
[[action]]
name = "create_contact"
kind = "create"
object = "Contact"
description = "Create a contact."
data = { LastName = "{{ lastName }}" }
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = write_actions(tmp_path, text)
    with pytest.raises(ActionFileError) as caught:
        load_actions(path)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(problem) for problem in caught.value.problems]


def _action(body: str, name: str = "a") -> str:
    return f'[[action]]\nname = "{name}"\ndescription = "An action."\n{body}\n'


def test_a_valid_file_loads(tmp_path: Path) -> None:
    """The variables of each template are found, in order of first use."""
    action_set = load_actions(write_actions(tmp_path, 'connection = "prod"\n' + CREATE))
    [action] = action_set.actions
    assert action.variables == ("lastName",)
    assert action_set.connection == "prod"


def test_toml_errors_name_the_line(tmp_path: Path) -> None:
    """Invalid TOML: the file and the line."""
    [problem] = _problems(tmp_path, '[[action]]\nname = "a"\nkind = \n')
    assert problem.startswith(f"{tmp_path / 'actions.toml'}: not valid TOML")
    assert "line 3" in problem


def test_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    """A file that cannot be read is reported, not raised as OSError."""
    with pytest.raises(ActionFileError, match="cannot read the file"):
        load_actions(tmp_path / "nowhere.toml")


QUERY = 'kind = "query"\nsoql = "SELECT Id FROM Contact"\n'
CONTACT = 'kind = "create"\nobject = "Contact"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "action: add at least one [[action]] table"),
        ('actions = []\n[[action]]\nname = "x"', "actions: unknown key"),
        (_action(CONTACT), "action 'a': data: a create action needs data"),
        (_action(QUERY + 'object = "Contact"'), "action 'a': object: a query action has no object"),
        (_action(QUERY + 'descripton = "x"'), "descripton: unknown key; did you mean description?"),
        (_action(QUERY, "create contact"), "action 'create contact': name: a tool name has"),
        (_action(QUERY, "run_query"), "name: run_query is the name of a built-in tool"),
        (_action('kind = "fetch"'), "action 'a': kind: Input should be 'query', 'create'"),
        ('[[action]]\ndescription = "d"\n' + QUERY, "action #1: name: Field required"),
        (_action(QUERY + "max_records = 500"), "max_records: Input should be less than or equal"),
    ],
)
def test_structure_problems_are_located(tmp_path: Path, text: str, expected: str) -> None:
    """Missing and unknown keys, bad names and types name the action and the key."""
    problems = _problems(tmp_path, text)
    assert any(expected in problem for problem in problems), problems


def _soql(soql: str) -> str:
    return f'kind = "query"\nsoql = """{soql}"""\n'


def _bulk(operation: str) -> str:
    return f'kind = "bulk"\nobject = "Lead"\noperation = "{operation}"\n'


OPTIONAL_N = "variables.n.required = false"
API_CALL = 'kind = "api_call"\nmethod = "GET"\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            CONTACT + 'data.LastName = "{{ lastName "',
            "data.LastName: template syntax error on line",
        ),
        (
            CONTACT + 'data.LastName = "{{ x.__class__ }}"',
            "data.LastName: attributes are not allowed",
        ),
        (
            CONTACT + 'data.LastName = "x"\ndata.Description = "{% for i in y %}{% endfor %}"',
            "data.Description: 'For' is not allowed",
        ),
        (_soql("SELECT Id FROM {{ table }}"), "soql: {{ table }}: a variable can only stand for"),
        (_soql("SELECT Id FROM Contact WHERE Name LIKE {{ n }}"), "soql: put quotes around"),
        (
            'kind = "update"\nobject = "Contact"\nid = "003{{ rest }}"\ndata.LastName = "x"',
            "id: give one variable",
        ),
        (
            CONTACT + 'data.LastName = "{{ lastName }}"\nvariables.lastname.example = "x"',
            "variables.lastname: no template uses lastname; did you mean lastName?",
        ),
        (CONTACT + 'data.LastName = "{{ ctx }}"', "{{ ctx }}: 'ctx' is a reserved word"),
        (CONTACT + 'data.LastName = "{{ model_config }}"', "'model_config' is a reserved word"),
        (CONTACT + 'data.LastName = "{{ class }}"', "'class' is a reserved word"),
        (
            "\n".join([_soql("SELECT Id FROM Contact WHERE Name = '{{ n }}'"), OPTIONAL_N]),
            "variables.n.required: only a variable that is a whole value",
        ),
        (
            CONTACT
            + 'data.LastName = "{{ n }}"\nvariables.n = { required = false, default = "x" }',
            "variables.n: give either default or required, not both",
        ),
        (
            'kind = "upsert"\nobject = "Lead"\nexternal_id_field = "External_Id__c"\n'
            'data.LastName = "{{ n }}"',
            "data: add External_Id__c",
        ),
        (_bulk("update") + 'records.LastName = "{{ n }}"', "records: add Id"),
        (_bulk("upsert") + 'records.LastName = "{{ n }}"', "external_id_field: an upsert needs"),
        (CONTACT + 'data.LastName = ["{{ n }}"]', "data.LastName: a field takes one value"),
        (
            API_CALL + 'endpoint = "{{ host }}/services/data"',
            "endpoint: the endpoint must be a path",
        ),
        (API_CALL + 'endpoint = "/services/oauth2/token"', "endpoint: the OAuth endpoints"),
        (
            API_CALL + 'endpoint = "/services/data/v62.0/limits"\nbody = { a = 1 }',
            "body: a GET request has no body",
        ),
    ],
)
def test_template_and_variable_problems_are_located(
    tmp_path: Path, body: str, expected: str
) -> None:
    """Template syntax, unsafe placements, unknown and reserved variables name their key."""
    problems = _problems(tmp_path, _action(body))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "endpoint",
    ["/services/oauth2/token", "/services//oauth2/token", "/services/%2foauth2/userinfo"],
)
def test_an_endpoint_that_means_oauth2_is_refused_however_spelled(
    tmp_path: Path, endpoint: str
) -> None:
    """The action check uses the client's path policy: normalised, then decided."""
    problems = _problems(tmp_path, _action(API_CALL + f'endpoint = "{endpoint}"'))
    assert any("endpoint: the OAuth endpoints under /services/oauth2/" in p for p in problems)


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    """Problems of several actions come together; duplicate names are caught ignoring case."""
    text = (
        CREATE
        + _action('kind = "query"\nsoql = "SELECT Id FROM {{ t }}"', "second")
        + _action('kind = "create"\nobject = "Lead"\ndata = { LastName = "x" }', "Create_Contact")
    )
    problems = _problems(tmp_path, text)
    assert len(problems) == 2
    assert "action 'second': soql:" in problems[0]
    assert (
        "action 'Create_Contact': name: the name is already used by action 'create_contact'"
        in (problems[1])
    )


ORG_PROBLEMS = [
    (
        'kind = "create"\nobject = "Contcat"\ndata.LastName = "x"',
        "object: Salesforce has no object named 'Contcat' (did you mean Contact?)",
    ),
    (
        CONTACT + 'data.LastName = "x"\ndata.Emial = "{{ e }}"',
        "data.Emial: Contact has no field 'Emial' — did you mean Email?",
    ),
    (
        CONTACT + 'data.LastName = "x"\ndata.Name = "{{ e }}"',
        "data.Name: Name cannot be set when creating Contact",
    ),
    (CONTACT + 'data.FirstName = "{{ f }}"', "data: Contact needs LastName: add them"),
    (
        'kind = "upsert"\nobject = "Contact"\nexternal_id_field = "LastName"\n'
        'data.LastName = "{{ n }}"',
        "external_id_field: LastName is not an external id field; use one of: Id, Email, "
        "External_Id__c",
    ),
    (
        'kind = "create"\nobject = "Task"\ndata = { Subject = "x", TaskSubtype = "Meeting" }',
        "data.TaskSubtype: TaskSubtype (Task Subtype): 'Meeting' is not one of the allowed",
    ),
    (
        CONTACT + 'data.LastName = "x"\ndata.Email = "{{ e }}"\nvariables.e.example = "ana at x"',
        "variables.e.example: Email: 'ana at x'",
    ),
    (
        'kind = "update"\nobject = "Contact"\nid = "001xx"\ndata.LastName = "x"',
        "id: Id: '001xx' is not a Salesforce record id",
    ),
    (_soql("SELECT Id FROM Contcat"), "soql: Salesforce has no object named 'Contcat'"),
    (_soql("SELECT Id, Emial FROM Contact"), "soql: Contact has no field 'Emial' — did you mean"),
    (_soql("SELECT Account.Nmae FROM Contact"), "soql: Account has no field 'Nmae' — did you mean"),
    (_soql("SELECT Acount.Name FROM Contact"), "soql: Contact has no relationship Acount"),
    (
        _soql("SELECT Id FROM Opportunity WHERE Amount = '{{ a }}'"),
        "soql: Amount is currency: remove the quotes around {{ a }}",
    ),
    (
        _soql("SELECT Id FROM Contact WHERE Email = {{ e }}"),
        "soql: Email is email: put {{ e }} in quotes, '{{ e }}'",
    ),
    (
        _soql("SELECT Id FROM Opportunity WHERE Amount LIKE '{{ a }}%'"),
        "soql: LIKE does not work on the currency field Amount",
    ),
    (_soql("SELECT Id FROM Contact WHERE Emial = '{{ e }}'"), "soql: Contact has no field 'Emial'"),
]


@pytest.mark.parametrize(("body", "expected"), ORG_PROBLEMS)
async def test_org_problems_are_located(
    tmp_path: Path, org_access: OrgAccess, body: str, expected: str
) -> None:
    """Objects, fields, permissions, external ids, values and quoting are checked with describe."""
    action_set = load_actions(write_actions(tmp_path, _action(body)))
    report = await check_actions(action_set, org_access.client, org_access.describe)
    assert not report.ok
    problems = [str(problem) for problem in report.problems]
    assert any(f"action 'a': {expected}" in problem for problem in problems), problems
    assert all(problem.startswith(str(tmp_path)) for problem in problems)
    with pytest.raises(ActionFileError):
        await build_action_specs(action_set, org_access.client, org_access.describe)


async def test_a_correct_file_checks_clean(tmp_path: Path, org_access: OrgAccess) -> None:
    """A file without problems reports ok and says so."""
    report = await check_actions(
        load_actions(write_actions(tmp_path, CREATE)), org_access.client, org_access.describe
    )
    assert report.ok
    assert str(report).endswith("1 actions, no problems")
