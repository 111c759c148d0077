"""The doors: native REST + WebSocket API (and, later, the Mastodon-compatible API)."""
