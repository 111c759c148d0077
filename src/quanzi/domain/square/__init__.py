"""The square: the public microblog (posts, reposts, comments, topics, communities)."""
