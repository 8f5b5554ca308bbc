"""One module per command; each has `register(app)` and imports its services inside the body."""
