"""server.values: spoken and transcribed values become Salesforce wire values, or clear problems.

One module per kind of value, as in server/values/; the shared shorthands and the fixed "now"
(Thursday 2026-03-05 10:00 in New York) are in :mod:`tests.helpers.values`.
"""
