"""The web page served at / (the mobile-first client grows here)."""
