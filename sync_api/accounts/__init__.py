"""Accounts: users, sign-in and sign-out, token revocation."""
