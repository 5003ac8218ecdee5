"""One module per Salesforce action: its input model and handler."""
