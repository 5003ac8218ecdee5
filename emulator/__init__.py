"""A local Salesforce org: the REST and OAuth contract over real HTTP, backed by SQLite.

Public surface: :func:`emulator.app.create_app` and :class:`emulator.config.EmulatorConfig`.
Importing this package does nothing.
"""
