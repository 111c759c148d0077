"""Notifications: recorded with the action that causes them, listed, marked read, pushed live."""
