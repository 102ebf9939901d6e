"""Accounts (账户): login, TOTP, API tokens and the one permission model."""
