"""The rules. Every door (native API, Mastodon API, web, CLI, jobs) calls these and nothing else."""
