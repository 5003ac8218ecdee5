"""find_caller: who is on the line, from the number they call from.

The number is the ``phone`` argument, written or spoken in any form
(:mod:`server.values.caller_numbers` makes it E.164), or else the call's ``caller_number``,
which the platform sends (a header or ``_meta``; :mod:`server.toolkit.call`). One
``POST /parameterizedSearch`` looks for it ``IN PHONE`` fields of the objects
``CALLFORCE_CALLER_SEARCH`` names (Contact, Lead, Account by default), returning each one's name,
phone fields, ``DoNotCall`` / ``HasOptedOutOfEmail`` and its account where it has those fields
(read from the cached describes: a warm call is that one request). The number only ever travels
as the search's ``q`` value, made of digits and a ``+``: no SOSL is written from caller text.

Salesforce's phone search is loose (formatting ignored, a number stored without its country code
found by one with it), so each record is checked again here: the configured field that holds the
number is the candidate's ``field``; a record found through no configured field is left out. The
candidates are ranked: the number stored exactly (with its country code) before the same number
stored nationally, then by object in the configured order, then by field. An Account that is the
account of a person found is left out (the person carries it). ``match`` is ``one``, ``several``
or ``none``.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from server.errors import InvalidArguments
from server.salesforce.answers import json_object
from server.salesforce.fields import ObjectInfo
from server.toolkit import READ, ConnectionArg, Derived, ToolContext, ToolSpec
from server.toolkit.call import META_KEY
from server.values.caller_numbers import MAX_CHARS, Relation, caller_number, same_number

#: Records asked for per object (a shared number — a switchboard — can match many).
PER_OBJECT = 10
#: Candidates returned in all.
MAX_CANDIDATES = 10
_FLAGS = {"DoNotCall": "do_not_call", "HasOptedOutOfEmail": "has_opted_out_of_email"}
_PLANS = Derived()


class FindCallerArgs(BaseModel):
    """Arguments of find_caller."""

    phone: Annotated[
        str | None,
        Field(
            description="Number to look up, written or spoken; default: the caller's.",
            min_length=1,
            max_length=MAX_CHARS,
        ),
    ] = None
    connection: ConnectionArg = None


class Candidate(BaseModel):
    """One record with the number."""

    object: str = Field(description="Contact, Lead, Account …")
    id: str
    name: str | None = None
    field: str = Field(description="The phone field holding the number.")
    account_id: str | None = None
    account_name: str | None = None
    do_not_call: bool | None = None
    has_opted_out_of_email: bool | None = None

    def line(self) -> str:
        """ "Contact Ana García 003… (Phone), account Acme 001…, do not call"."""
        text = f"{self.object} {self.name or '(no name)'} {self.id} ({self.field})"
        if self.account_id:
            text += f", account {self.account_name or ''} {self.account_id}".replace("  ", " ")
        if self.do_not_call:
            text += ", do not call"
        if self.has_opted_out_of_email:
            text += ", opted out of email"
        return text


class FindCallerResult(BaseModel):
    """Who has the number, best first."""

    phone: str = Field(description="The number searched, E.164.")
    match: Literal["one", "several", "none"]
    candidates: list[Candidate]

    def agent_text(self) -> str:
        """One line per candidate, best first."""
        if not self.candidates:
            return f"No record has the number {self.phone}."
        if self.match == "one":
            return f"One match for {self.phone}: {self.candidates[0].line()}"
        lines = [f"{len(self.candidates)} matches for {self.phone}, best first:"]
        lines += [f"{n}. {c.line()}" for n, c in enumerate(self.candidates, start=1)]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What is asked of one object, and how its records are read."""

    name: str
    phones: tuple[str, ...]
    returning: tuple[str, ...]
    where: str | None
    has_account: bool

    def body(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "fields": list(self.returning)}
        if self.where:
            spec["where"] = self.where
        spec["limit"] = PER_OBJECT
        return spec


def _plan(info: ObjectInfo, phones: list[str]) -> _Plan:
    """The plan for ``info``; InvalidArguments when a configured field is not one of its
    phone fields (an operator's setting, so the message names it)."""
    checked = []
    for name in phones:
        field = info.field(name)
        if field is None or field.type != "phone":
            raise InvalidArguments(
                f"CALLFORCE_CALLER_SEARCH names {info.name}.{name}, which is not a phone field "
                f"of {info.name}; fix the setting."
            )
        checked.append(field.name)
    returning = ["Id"]
    if (name_field := info.field("Name")) is not None:
        returning.append(name_field.name)
    returning += checked
    returning += [flag for flag in _FLAGS if info.field(flag) is not None]
    account = info.field("AccountId")
    has_account = account is not None and "Account" in account.reference_to
    if has_account:
        returning += ["AccountId", "Account.Name"]
    converted = info.field("IsConverted")  # a converted Lead lives on as its Contact
    where = "IsConverted = false" if converted is not None and converted.type == "boolean" else None
    return _Plan(info.name, tuple(checked), tuple(returning), where, has_account)


async def _plans(ctx: ToolContext, connection: str) -> list[_Plan]:
    services = ctx.services
    configured = services.settings.caller_search
    infos = await asyncio.gather(
        *(
            services.describe.get(services.client, name, connection=connection)
            for name in configured
        )
    )
    plans = []
    for info, phones in zip(infos, configured.values(), strict=True):
        key = (connection.lower(), info.name, tuple(phones))
        plans.append(_PLANS.get(key, info, functools.partial(_plan, info, phones)))
    return plans


def _candidate(
    plan: _Plan, record: dict[str, Any], number: str, region: str
) -> tuple[Relation, int, Candidate] | None:
    """The candidate a record makes, its relation to the number and its matching field's rank."""
    found = [
        (relation, rank, name)
        for rank, name in enumerate(plan.phones)
        if (relation := same_number(record.get(name), number, region)) is not None
    ]
    if not found:
        return None
    relation, rank, field = min(found, key=lambda item: (item[0] != "exact", item[1]))
    account = record.get("Account") if plan.has_account else None
    flags = {key: record.get(flag) for flag, key in _FLAGS.items()}
    candidate = Candidate(
        object=plan.name,
        id=str(record.get("Id")),
        name=record.get("Name") if isinstance(record.get("Name"), str) else None,
        field=field,
        account_id=record.get("AccountId") if plan.has_account else None,
        account_name=account.get("Name") if isinstance(account, dict) else None,
        **{key: value for key, value in flags.items() if isinstance(value, bool)},
    )
    return relation, rank, candidate


def _ranked(plans: list[_Plan], records: list[Any], number: str, region: str) -> list[Candidate]:
    by_type = {plan.name.lower(): (order, plan) for order, plan in enumerate(plans)}
    scored = []
    for record in records:
        if not isinstance(record, dict):
            continue
        kind = (record.get("attributes") or {}).get("type")
        entry = by_type.get(str(kind).lower())
        if entry is None:
            continue
        made = _candidate(entry[1], record, number, region)
        if made is not None:
            relation, rank, candidate = made
            scored.append(((relation != "exact", entry[0], rank), candidate))
    scored.sort(key=lambda item: item[0])
    people_accounts = {c.account_id for _, c in scored if c.account_id}
    return [c for _, c in scored if c.id not in people_accounts][:MAX_CANDIDATES]


async def find_caller(ctx: ToolContext, args: FindCallerArgs) -> FindCallerResult:
    """Normalise the number, then one parameterized search (describes from the cache)."""
    services = ctx.services
    text = args.phone if args.phone is not None else ctx.call.get("caller_number")
    if text is None:
        variable = ctx.call.variable("caller_number")
        where = f"the {variable.header} header or " if variable.header else ""
        raise InvalidArguments(
            "This request carries no caller number (the voice platform sends it in "
            f'{where}_meta "{META_KEY}".caller_number). Ask the caller for their number and '
            "pass it as phone."
        )
    region = services.settings.phone_region
    number = caller_number(text, region)
    conn = services.client.connection_for(args.connection)
    plans = await _plans(ctx, conn.name)
    body = {
        "q": number,
        "in": "PHONE",
        "sobjects": [plan.body() for plan in plans],
        "overallLimit": PER_OBJECT * len(plans),
    }
    response = await services.client.request(
        "POST",
        services.client.api_path("parameterizedSearch"),
        connection=conn.name,
        json=body,
        idempotent=True,  # a search: safe to send again
    )
    answer = json_object(response)
    records = answer.get("searchRecords")
    candidates = _ranked(plans, records if isinstance(records, list) else [], number, region)
    match: Literal["one", "several", "none"] = (
        "none" if not candidates else "one" if len(candidates) == 1 else "several"
    )
    return FindCallerResult(phone=number, match=match, candidates=candidates)


SPEC = ToolSpec(
    name="find_caller",
    title="Find Caller",
    description=(
        "Find who is calling: Contacts, Leads and Accounts with this phone number, best "
        "first, with do-not-call and email opt-out flags."
    ),
    annotations=READ,
    arguments=FindCallerArgs,
    result=FindCallerResult,
    handler=find_caller,
)
