"""Accounts: users with roles, API tokens, and the members of private incidents."""
