"""Moments: the friends-only wall, with WeChat's rules on who sees what."""
