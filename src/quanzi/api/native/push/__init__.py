"""Web Push subscriptions of the native API."""
