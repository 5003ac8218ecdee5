"""Where connections live: the store interface, SQLite (the embedded default), lock files and
token encryption.

- :mod:`~server.store.interface`: :class:`~server.store.interface.Connection` and the
  :class:`~server.store.interface.ConnectionStore` protocol every store implements;
- :mod:`~server.store.sqlite`: the SQLite store under ``CALLFORCE_HOME``;
- :mod:`~server.store.sqlite_schema`: its schema, versioned, and the migrations to it;
- :mod:`~server.store.file_modes`: a private home (0700) and private files (0600);
- :mod:`~server.store.locks`: lock files (the cross-process renewal lock);
- :mod:`~server.store.crypto`: AES-256-GCM for tokens at rest.

Nothing here imports the tools, the actions, the connect pages or the web transport.
"""
