"""GitHub: the repository's own settings (environments, rules, Actions permissions), declared by the tenant stack."""
