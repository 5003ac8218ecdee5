"""Connecting an org: the connect page, the OAuth web-server flow, the terminal and headless
grants.

- :mod:`~server.connect.pages`: the connect page (HTML, no script) at ``/`` of the HTTP transport;
- :mod:`~server.connect.view`: what the page shows (connection cards, notices);
- :mod:`~server.connect.flow`: one sign-in attempt: authorize URL, state, code exchange, storing;
- :mod:`~server.connect.guard`: who may open the pages (sessions, CSRF, host checks);
- :mod:`~server.connect.admission`: the API tokens and the throttle of wrong ones (pages and
  ``/mcp`` alike);
- :mod:`~server.connect.targets`: Production, Sandbox or a My Domain, as a login host;
- :mod:`~server.connect.errors`: what went wrong, said for a person;
- :mod:`~server.connect.terminal`: ``callforce connect`` (browser on a loopback callback);
- :mod:`~server.connect.loopback`: the one-shot loopback callback server it uses;
- :mod:`~server.connect.headless`: client credentials, JWT bearer, access token, password;
- ``templates/``: the HTML pages.
"""
