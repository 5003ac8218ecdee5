"""The fault suite: what a hostile review found, each reproduced through the MCP client against
the emulator (faults injected with /_emulator/faults), then fixed."""
