"""Operator-configured actions: a TOML file whose actions become typed MCP tools.

- :mod:`~server.actions.model`: what a file holds, as types;
- :mod:`~server.actions.loading`: :func:`~server.actions.loading.load_actions`, reading and
  checking a file without the org;
- :mod:`~server.actions.call_table`: the ``[call]`` table (call variables from the platform's
  headers) and where templates may read ``call.<name>``;
- :mod:`~server.actions.check`: checking a file against the org (objects, fields, types);
- :mod:`~server.actions.specs`: one typed tool per action;
- :mod:`~server.actions.variable_types`: each variable typed from the field it fills;
- :mod:`~server.actions.serving`: registering, reloading while serving, notifying clients;
- :mod:`~server.actions.cli`: ``callforce actions check|example``;
- :mod:`~server.actions.templating`: Jinja2 templates rendered with values as data;
- :mod:`~server.actions.soql_template`: SOQL templates whose values land in escaped literals;
- :mod:`~server.actions.search`: ``search`` actions, one parameterized search each;
- :mod:`~server.actions.sosl_text`: a search's text, each value searched as plain words;
- ``examples/actions.toml``: the example file ``callforce demo`` serves.
"""
