"""Helpers the test modules share (importable; fixtures stay in the conftest files)."""
