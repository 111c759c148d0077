"""Accounts: registration, log in, sessions, profiles, privacy, invites, deletion."""
