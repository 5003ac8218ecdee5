"""Drive the OAuth web-server flow of the emulator as a browser would: authorize page → login →
consent → code, then the code exchange, with the demo connected app's credentials."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx

CLIENT_ID = "callforce-demo"
CLIENT_SECRET = "callforce-demo-secret"
USERNAME = "demo@callforce.dev"
PASSWORD = "demo"
CALLBACK = "http://127.0.0.1:53682/callback"
AUTHORIZE = "/services/oauth2/authorize"
TOKEN = "/services/oauth2/token"


def pkce_pair() -> tuple[str, str]:
    """A fresh (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Form:
    """The first form of a page: its action, inputs and submit buttons."""

    action: str = ""
    method: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    labels_for: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = Form()
        self.html_lang: str | None = None
        self.headings = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.form.ids.add(values["id"])
        if tag == "html":
            self.html_lang = values.get("lang")
        elif tag in ("h1", "h2"):
            self.headings += 1
        elif tag == "form" and not self.form.action:
            self.form.action = values.get("action", "")
            self.form.method = values.get("method", "").lower()
        elif tag == "label" and "for" in values:
            self.form.labels_for.add(values["for"])
        elif tag == "input" and "name" in values:
            self.form.inputs[values["name"]] = values.get("value", "")
        elif tag == "button" and "name" in values:
            self.form.buttons[values["name"]] = values.get("value", "")


def form_of(html: str) -> Form:
    """Parse the page's form."""
    parser = _FormParser()
    parser.feed(html)
    return parser.form


def page_facts(html: str) -> tuple[str | None, int]:
    """The page's ``lang`` and its number of headings."""
    parser = _FormParser()
    parser.feed(html)
    return parser.html_lang, parser.headings


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect, decoded."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """Drives the browser side of the web-server flow over one HTTP client."""

    http: httpx.AsyncClient
    redirect_uri: str = CALLBACK

    async def authorize(self, **params: str) -> httpx.Response:
        """GET the authorize page with the demo client's defaults."""
        query = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": self.redirect_uri,
            **params,
        }
        return await self.http.get(AUTHORIZE, params=query)

    async def login(
        self, page: httpx.Response, username: str = USERNAME, password: str = PASSWORD
    ) -> httpx.Response:
        """Submit the login form of ``page``."""
        form = form_of(page.text)
        data = {**form.inputs, "username": username, "password": password}
        return await self.http.post(form.action, data=data)

    async def answer(self, consent_page: httpx.Response, button: str) -> httpx.Response:
        """Press ``oaapprove`` or ``oadeny`` on the consent page."""
        form = form_of(consent_page.text)
        data = {**form.inputs, button: form.buttons[button]}
        return await self.http.post(form.action, data=data)

    async def code(self, **params: str) -> str:
        """Run authorize → login → Allow and return the code from the redirect."""
        page = await self.authorize(**params)
        consent = await self.login(page)
        redirect = await self.answer(consent, "oaapprove")
        assert redirect.status_code == 302, redirect.text
        return query_of(redirect.headers["location"])["code"]

    async def exchange(self, code: str, **extra: str) -> httpx.Response:
        """POST the authorization_code grant for ``code``."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": self.redirect_uri,
            **extra,
        }
        return await self.http.post(TOKEN, data=data)
