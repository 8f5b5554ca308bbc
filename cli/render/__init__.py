"""Renderers: plain data in, text out (rich for terminals, Markdown for pull requests)."""
