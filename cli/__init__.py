"""The `infra` toolkit: commands (`cli.commands`) over services that return plain data."""

__version__ = "0.1.0"
