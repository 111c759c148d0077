"""Live delivery: the event bus (in-process or Redis) and the WebSocket gateway."""
