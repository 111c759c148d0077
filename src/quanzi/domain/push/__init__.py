"""Web Push: subscriptions (one per session), what is pushed to whom, and delivery by job."""
