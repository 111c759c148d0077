"""The square (Weibo-style public microblog), from the Discover tab: one module per screen."""
