"""Helpers the test modules share, importable; fixtures live in the conftest files, except the
org fixtures that two directories share (:mod:`tests.helpers.org_fixtures`), which their conftests
import."""
