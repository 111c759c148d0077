"""quanzi (圈子): a self-hostable social communication server."""

__version__ = "0.1.0"
