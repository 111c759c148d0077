"""Observability: metrics and structured logs."""
