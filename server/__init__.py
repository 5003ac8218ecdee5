"""callforce: an MCP server that lets AI voice agents act on Salesforce."""

__version__ = "0.1.0"
