"""Action files for the action tests: the shipped example file and its tools, one action of each
kind, writing an action file, and serving one (checked against the org, its tools registered on a
fresh server) through the MCP client — in-process, or over Streamable HTTP with the headers a
voice platform sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from server import web
from server.actions.cli import EXAMPLE_FILE
from server.actions.loading import load_actions
from server.actions.serving import load_action_specs
from server.actions.specs import build_action_specs
from server.app import build_server
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import Expose
from tests.helpers.tool_calls import Tools, serving

EXAMPLES = EXAMPLE_FILE
#: The tools of the example file, in order.
EXAMPLE_TOOLS = [
    "find_contact_by_email",
    "find_company",
    "create_contact",
    "update_account",
    "upsert_lead",
    "request_callback",
]
#: One action of each kind (query, create, update, upsert, bulk, api_call), served by the kinds
#: and the schema tests.
ACTIONS = """
[[action]]
name = "find_opportunities"
kind = "query"
description = "Opportunities of a stage, above an amount, closing before a date."
soql = '''
SELECT Id, Name, StageName, Amount, CloseDate FROM Opportunity
WHERE Name LIKE '{{ prefix }}%' AND StageName = '{{ stage }}' AND Amount >= {{ minimum }}
AND CloseDate <= {{ before }} AND IsPrivate = {{ private }} AND CreatedDate < {{ createdBefore }}
ORDER BY Amount DESC LIMIT {{ most }}
'''

[[action]]
name = "new_lead"
kind = "create"
object = "Lead"
description = "Create a lead."
data.LastName = "{{ lastName }}"
data.Company = "{{ company }}"
data.Rating = "{{ rating }}"
data.NumberOfEmployees = "{{ employees }}"
data.IsUnreadByOwner = "{{ unread }}"
data.LeadSource = "Phone Inquiry"

[[action]]
name = "set_contact_phone"
kind = "update"
object = "Contact"
description = "Change a contact's phone (and birthday)."
id = "{{ contactId }}"
data = { Phone = "{{ phone }}", Birthdate = "{{ birthday }}" }
variables.birthday = { required = false }

[[action]]
name = "upsert_contact"
kind = "upsert"
object = "Contact"
external_id_field = "External_Id__c"
description = "Create or update a contact by its external id."
data = { External_Id__c = "{{ key }}", LastName = "{{ lastName }}", Email = "{{ email }}" }

[[action]]
name = "add_leads"
kind = "bulk"
object = "Lead"
operation = "insert"
description = "Create several leads."
records = { LastName = "{{ lastName }}", Company = "{{ company }}", Email = "{{ email }}" }

[[action]]
name = "sync_contacts"
kind = "bulk"
object = "Contact"
operation = "upsert"
external_id_field = "External_Id__c"
all_or_none = true
description = "Create or update contacts by external id."
records = { External_Id__c = "{{ key }}", LastName = "{{ lastName }}" }

[[action]]
name = "read_contact"
kind = "api_call"
method = "GET"
endpoint = "/services/data/v62.0/sobjects/Contact/External_Id__c/{{ key }}"
description = "Read a contact by its external id."

[[action]]
name = "open_case"
kind = "api_call"
method = "POST"
endpoint = "/services/data/v62.0/sobjects/Case"
headers = { Sforce-Auto-Assign = "{{ assign }}" }
description = "Open a case."
body.Subject = "{{ subject }}"
body.Origin = "Phone"
body.Priority = "{{ priority }}"
body.IsEscalated = "{{ escalate }}"
variables.priority = { default = "Medium" }
variables.assign = { default = "FALSE" }
variables.escalate = { type = "boolean", required = false }
"""


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """What typing action tools needs: a Salesforce client and a describe cache."""

    client: SalesforceClient
    describe: DescribeCache


def write_actions(directory: Path, text: str, name: str = "actions.toml") -> Path:
    """An action file holding ``text``."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@asynccontextmanager
async def served(
    source: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    access: OrgAccess,
    *,
    read_only: bool = False,
    expose: Expose = "all",
) -> AsyncIterator[tuple[Tools, MCPServer[Any]]]:
    """The server with the actions of ``source`` (and the generic tools as ``expose`` says)."""
    specs = await build_action_specs(load_actions(source), access.client, access.describe)
    exposed = settings.model_copy(update={"expose": expose})
    server = build_server(exposed, store=store, read_only=read_only, actions=specs)
    async with serving(server) as client:
        yield Tools(client, store, settings), server


@asynccontextmanager
async def http_served(
    settings: Settings, store: SQLiteConnectionStore, path: Path, headers: dict[str, str]
) -> AsyncIterator[Tools]:
    """`serve --transport http --actions path` in-process (built as the command builds it), and
    an MCP client over Streamable HTTP sending ``headers`` with every request."""
    app = web.build_app(settings, store, actions=await load_action_specs(settings, store, path))
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app),
            base_url="http://127.0.0.1:8000",
            headers=headers,
        ) as http,
        Client(streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http)) as client,
    ):
        yield Tools(client, store, settings)
