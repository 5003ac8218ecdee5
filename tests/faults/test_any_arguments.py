"""No argument a caller can send makes callforce crash: whatever hypothesis makes of each
tool's advertised input schema — unicode, control characters, huge and odd numbers (``1e309``
on the wire), nested JSON, nulls, wrong types, missing and unknown arguments — the answer is a
result or a plain error, never "callforce hit an internal error", a traceback, a path or a
token.

Every generic tool and the configured actions (the example file, and one action of each kind)
are called through the SDK's client over the HTTP app, against an emulated org of the module's
own, on one server for the module. Reproducible: derandomized, no example database, no deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import string
import threading
from collections.abc import Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.types import CallToolResult

from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server.actions.loading import load_actions
from server.actions.specs import build_action_specs
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import INTERNAL_ERROR
from tests.faults.test_custom_api_call_input import INFINITY, MINUS_INFINITY, over_http
from tests.helpers.action_files import ACTIONS, EXAMPLE_TOOLS, EXAMPLES, write_actions
from tests.helpers.demo_org import CONNECTION, connect, make_settings
from tests.helpers.org_fixtures import TIME_ZONE
from tests.helpers.tool_calls import Tools, text_of
from tools import ALL_TOOLS

_T = TypeVar("_T")

#: One action of each kind, as tests/helpers/action_files.py writes them.
KIND_TOOLS = [
    "find_opportunities",
    "new_lead",
    "set_contact_phone",
    "upsert_contact",
    "add_leads",
    "sync_contacts",
    "read_contact",
    "open_case",
]
TOOLS = [spec.name for spec in ALL_TOOLS] + EXAMPLE_TOOLS + KIND_TOOLS
#: Examples per tool: ~550 calls in all, ~10 s on one worker (the fault suite stays under a minute).
EXAMPLES_PER_TOOL = 25


def _mostly(usual: st.SearchStrategy[Any], *odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` two times in three, else one of ``odd``: most calls get past validation."""
    return st.integers(0, 2).flatmap(lambda pick: st.one_of(odd) if pick == 2 else usual)


_OBJECTS = ["Lead", "Contact", "Account", "Task", "Opportunity", "Case", "Event", "User"]
_FIELDS = [
    "Id", "Name", "LastName", "FirstName", "Company", "Email", "Phone", "MobilePhone",
    "Rating", "Industry", "NumberOfEmployees", "AnnualRevenue", "IsUnreadByOwner", "Birthdate",
    "ActivityDate", "CloseDate", "Amount", "Probability", "StageName", "Description",
    "Website", "AccountId", "WhoId", "External_Id__c", "TaskSubtype", "Salutation",
    "LastModifiedDate", "CreatedDate", "HasOptedOutOfEmail", "Subject", "Status",
]  # fmt: skip
_ODD_TEXT = [
    "", " ", "'", '"', "\\", "\\'", "%", "_", "*", ";", ";;", "a;b", "{{ x }}", "{% if %}",
    "{#", "../..", "%2e%2e/%2F", "?", "#", "&q=1", "null", "true", "0", "-0", "1e309", "NaN",
    "Infinity", "0x1F", "1,5", "1.5e3", "García", "☎ 555", "𝔘𝔫𝔦", "\u200b", "\ufeff",
    "\u2028", "\x00", "\x1b[0m", "\r\n", "\t", "a\x85b", "x" * 300, "é" * 5000,
    "SELECT Id FROM Lead", "2026-02-30", "2026-03-05", "03/05/2026", "5 March", "tomorrow",
    "today", "2026-03-05T25:00:00Z", "14:30", "+1 (415) 555-0100", "555", "ext. 12",
    "ana@example.com", "ana at example dot com", "@", "001000000000000", "001000000000000AAA",
    "003XXXXXXXXXXXXXXX", "Hot", "warm", "List Email", "yes", "no", "TRUE",
]  # fmt: skip
_TEXT = st.one_of(
    st.sampled_from(_ODD_TEXT),
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=12),
)
_INTS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, -(2**63) - 1, 10**18, 10**40, 10**400]),
)
_FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, -0.0, 5e-324, 1e308, 1.7976931348623157e308, INFINITY, MINUS_INFINITY]),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _INTS, _FLOATS, _TEXT)
_KEYS = st.one_of(st.sampled_from(_FIELDS), _TEXT)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=8,
)
_ID = st.one_of(
    st.from_regex(r"\A[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?\Z"),
    st.sampled_from(["001000000000000AAA", "00Q000000000000", "0010000000000zz"]),
)


def _soql() -> st.SearchStrategy[str]:
    where = st.builds(
        lambda field, value: f"{field} = '{value}'" if value is not None else f"{field} = null",
        st.sampled_from(_FIELDS),
        st.one_of(st.none(), _TEXT),
    )
    return _mostly(
        st.builds(
            lambda fields, sobject, condition, limit: (
                f"SELECT {', '.join(fields)} FROM {sobject} WHERE {condition} LIMIT {limit}"  # noqa: S608 - hostile SOQL on purpose
            ),
            st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3),
            st.sampled_from(_OBJECTS),
            where,
            st.integers(-1, 3),
        ),
        _TEXT,
    )


def _endpoint() -> st.SearchStrategy[str]:
    tails = st.sampled_from(["limits", "sobjects", "sobjects/Lead", "query?q=", "sobjects/Lead/"])
    endpoints = tails.map(lambda tail: f"/services/data/v62.0/{tail}")
    return _mostly(
        endpoints, st.builds(lambda endpoint, extra: endpoint + extra, endpoints, _TEXT), _TEXT
    )


#: Strings by what the argument names: the generic tools' arguments reach past validation.
_BY_NAME: Mapping[str, st.SearchStrategy[Any]] = {
    "soql": _soql(),
    "endpoint": _endpoint(),
    "object": _mostly(st.sampled_from(_OBJECTS), _TEXT),
    "external_id_field": _mostly(st.sampled_from(_FIELDS), _TEXT),
    "id": _ID,
    "connection": _mostly(st.just(CONNECTION), st.none(), _TEXT),
    "headers": st.dictionaries(
        _mostly(st.sampled_from(["X-Caller", "Sforce-Auto-Assign", "If-Match"]), _TEXT),
        _TEXT,
        min_size=1,
        max_size=2,
    ),
}


def _typed(schema: Mapping[str, Any], name: str) -> st.SearchStrategy[Any]:
    """Values of the shape ``schema`` describes, with hostile content."""
    if "enum" in schema:
        values = [value for value in schema["enum"] if isinstance(value, str)]
        lowered = st.sampled_from(values or [""]).map(str.lower)
        return _mostly(st.sampled_from(schema["enum"]), lowered, _TEXT)
    if "anyOf" in schema:
        return st.one_of([_typed(arm, name) for arm in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        if name in _BY_NAME:
            return _BY_NAME[name]
        if "pattern" in schema:
            return st.one_of(_ID, _TEXT)
        return _TEXT
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.one_of(st.integers(min_value=low, max_value=high), _INTS)
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        bounded = st.floats(min_value=low, max_value=high, allow_nan=False)
        return st.one_of(bounded, _FLOATS, _INTS)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        most = min(schema.get("maxItems", 3), 3)
        least = min(schema.get("minItems", 0), most)
        return st.lists(_typed(schema.get("items", {}), name), min_size=least, max_size=most)
    if kind == "object" and schema.get("properties"):
        return _arguments(schema)
    if kind == "object" and name in _BY_NAME:
        return _BY_NAME[name]
    if kind == "object":  # a record's fields (data, records, body), headers
        keys = st.one_of(st.sampled_from(_FIELDS), st.sampled_from(_FIELDS), _TEXT)
        shape = schema.get("additionalProperties")
        values = _typed(shape, name) if isinstance(shape, Mapping) else _SCALARS
        return st.dictionaries(keys, st.one_of(values, values, _JSON), max_size=4)
    return _JSON


def _arguments(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the schema's properties (mostly all of them, else the required ones and
    some others), each of its advertised shape; then, now and then, one of them any JSON at
    all (a wrong type, a null) or left out, or an argument the schema does not know added."""
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    values = {name: _typed(sub, name) for name, sub in properties.items()}
    every = st.fixed_dictionaries(values)
    some = st.fixed_dictionaries(
        {name: values[name] for name in required},
        optional={name: values[name] for name in properties if name not in required},
    )
    shaped = _mostly(every, some)
    names = sorted(properties) or [""]
    change = _mostly(
        st.just(("keep", "", None)),
        st.tuples(st.just("set"), st.sampled_from(names), _JSON),
        st.tuples(st.just("drop"), st.sampled_from(names), st.none()),
        st.tuples(st.just("set"), _TEXT, _JSON),
    )
    return st.builds(_changed, shaped, change)


def _changed(arguments: dict[str, Any], change: tuple[str, str, Any]) -> dict[str, Any]:
    what, name, value = change
    if what == "set":
        return arguments | {name: value}
    if what == "drop":
        return {key: item for key, item in arguments.items() if key != name}
    return arguments


class _Served:
    """The HTTP app with the generic tools and the actions, on an event loop of its own (a
    thread), and every tool's arguments strategy: hypothesis drives a plain function, and each
    example's call runs on that loop — one server for the module."""

    def __init__(self, home: Path, emulator: BackgroundEmulator) -> None:
        self._home = home
        self._emulator = emulator
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._task: concurrent.futures.Future[None] | None = None
        self.tools: Tools | None = None
        self.strategies: dict[str, st.SearchStrategy[dict[str, Any]]] = {}

    def __enter__(self) -> _Served:
        self._thread.start()
        ready: concurrent.futures.Future[Tools] = concurrent.futures.Future()
        self._task = self._run(self._hold(ready))
        self.tools = ready.result(timeout=60)
        listed = self._run(self.tools.client.list_tools()).result(timeout=60)
        # Built once, from copies: what is drawn depends on nothing that changes meanwhile.
        self.strategies = {
            tool.name: _arguments(copy.deepcopy(tool.input_schema)) for tool in listed.tools
        }
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._task is not None:
            self._task.result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=60)
        self._loop.close()

    def _run(self, work: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def _hold(self, ready: concurrent.futures.Future[Tools]) -> None:
        """Serve, in this one task (the app's cancel scopes are left where entered), until
        told to stop."""
        self._stop = asyncio.Event()
        made = make_settings(self._home / "home", self._emulator, time_zone=TIME_ZONE)
        store = SQLiteConnectionStore.from_settings(made)
        try:
            await connect(store, self._emulator, CONNECTION)
            kinds = write_actions(self._home, ACTIONS)
            async with SalesforceClient(made, store) as client:
                describe = DescribeCache.from_settings(made)
                specs = [
                    *await build_action_specs(load_actions(EXAMPLES), client, describe),
                    *await build_action_specs(load_actions(kinds), client, describe),
                ]
            async with over_http(made, store, specs) as tools:
                ready.set_result(tools)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise
        finally:
            store.close()

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """One tool call, on the server's loop."""
        assert self.tools is not None
        return self._run(self.tools.call(name, arguments)).result(timeout=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Served]:
    """The module's one server (see :class:`_Served`), on an org of its own: the records its
    random writes make stay out of the other fault tests' org."""
    with (
        BackgroundEmulator(EmulatorConfig()) as emulator,
        _Served(tmp_path_factory.mktemp("any-arguments"), emulator) as running,
    ):
        yield running


def test_every_tool_is_covered(served: _Served) -> None:
    """The list above names every tool the module serves."""
    assert sorted(TOOLS) == sorted(served.strategies)


@pytest.mark.parametrize("name", TOOLS)
@settings(
    max_examples=EXAMPLES_PER_TOOL,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],  # a shared CI runner may be slow to draw
)
@given(data=st.data())
def test_no_arguments_make_an_internal_error(
    served: _Served, name: str, data: st.DataObject
) -> None:
    """Whatever the arguments, the answer is a result or a plain, safe error."""
    arguments = data.draw(served.strategies[name], label="arguments")
    result = served.call(name, arguments)
    text = text_of(result)
    assert INTERNAL_ERROR not in text, arguments
    assert text.strip() != f"Error executing tool {name}", arguments  # the SDK's own crash text
    if result.is_error:
        assert served.tools is not None
        served.tools.assert_safe(text)
