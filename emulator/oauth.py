"""Placeholder: being written."""

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """The routes of this module."""
    return []
