"""Tests of configured actions: action files, templates, and the tools they make."""
