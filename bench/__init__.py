"""Benchmarks of quanzi against a real `quanzi serve` process: `python -m bench <name>`.

Each benchmark prints progress to stderr and one JSON object, its result, as the last line of
stdout.
"""
