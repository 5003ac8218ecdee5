"""Where connections live: the store interface, SQLite (the embedded default), PostgreSQL (for
replicas), lock files and token encryption.

- :mod:`~server.store.interface`: :class:`~server.store.interface.Connection` and the
  :class:`~server.store.interface.ConnectionStore` protocol every store implements;
- :mod:`~server.store.opening`: :func:`~server.store.opening.open_store`, the store the settings
  name (every command and the server open theirs there);
- :mod:`~server.store.sqlite`: the SQLite store under ``CALLFORCE_HOME`` (the embedded default);
- :mod:`~server.store.sqlite_schema`, :mod:`~server.store.sqlite_keys`,
  :mod:`~server.store.sqlite_attempts`: its schema, versioned, its write keys and its connect
  attempts;
- :mod:`~server.store.postgres`: the PostgreSQL store of ``CALLFORCE_DATABASE_URL``, shared by
  replicas; its schema (:mod:`~server.store.postgres_schema`), sessions and failure policy
  (:mod:`~server.store.postgres_pool`; for the event loop :mod:`~server.store.postgres_async_pool`),
  renewal locks (:mod:`~server.store.postgres_locks`),
  write keys (:mod:`~server.store.postgres_keys`), connect attempts
  (:mod:`~server.store.postgres_attempts`) and activity (:mod:`~server.store.postgres_activity`);
- :mod:`~server.store.file_modes`: a private home (0700) and private files (0600);
- :mod:`~server.store.locks`: lock files (the cross-process renewal lock);
- :mod:`~server.store.crypto`: AES-256-GCM for tokens (and connect attempts) at rest.

Nothing here imports the tools, the actions, the connect pages or the web transport.
"""
