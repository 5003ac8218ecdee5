"""The activity record: what each tool call asked of Salesforce and how it went.

:mod:`~server.activity.observe` counts a call's Salesforce requests as they happen;
:mod:`~server.activity.record` is what is kept of a call (no caller data);
:mod:`~server.activity.recorder` writes it off the call's path; :mod:`~server.activity.tracing`
is the optional OpenTelemetry export. The toolkit wraps each tool call in a recording
(:mod:`server.toolkit.activity`); the connect pages and ``callforce activity`` read it back.
"""
