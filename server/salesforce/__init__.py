"""Talking to Salesforce: the shared authenticated client and what it needs.

- :mod:`~server.salesforce.client`: :class:`~server.salesforce.client.SalesforceClient`, one
  pooled ``httpx.AsyncClient`` per process (bearer auth, deadline, safe retries, typed errors);
- :mod:`~server.salesforce.retries`: which failed requests are sent again, and how;
- :mod:`~server.salesforce.renewal`: renewing a session once per expiry, across callers and
  processes;
- :mod:`~server.salesforce.grants`: the OAuth grants at a login host;
- :mod:`~server.salesforce.web_server_flow`: the browser sign-in (authorization code, PKCE);
- :mod:`~server.salesforce.instances`: which hosts a token may be sent to;
- :mod:`~server.salesforce.endpoints`: the one policy for the endpoint paths (and headers)
  callforce sends;
- :mod:`~server.salesforce.answers`: reading an answer's JSON without trusting it;
- :mod:`~server.salesforce.collections`: sObject Collections requests and per-record results;
- :mod:`~server.salesforce.describe_cache` and :mod:`~server.salesforce.fields`: what each
  object's fields are;
- :mod:`~server.salesforce.single_flight`: one task per key, shared by concurrent callers;
- :mod:`~server.salesforce.trust`: the certificates callforce trusts;
- :mod:`~server.salesforce.wire`: one request on the wire (httpcore's pool, URL encoding, errors).

Nothing here imports the tools, the actions, the connect pages or the web transport.
"""
