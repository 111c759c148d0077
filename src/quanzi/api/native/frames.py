"""The native stream's own frames, beside the events (domain/events.py) it carries.

Server to client, every frame is `{"type": ..., "payload": {...}}` (`realtime/gateway.frame`):
the events of the catalogue, and these, which the stream makes itself. Client to server, a
frame is `{"type": ..., ...}` with one of the client types below. docs/api.md has the protocol.
"""

from __future__ import annotations

# Server to client
HELLO = "hello"  # first: account_id, session_id, ping_interval
PONG = "pong"  # answers a ping: {"id": ...} if the ping had one
ERROR = "error"  # a client frame was not understood: code, message
MESSAGE_ACK = "message.ack"  # a message.send was stored: client_msg_id, replayed, message
MESSAGE_ERROR = "message.error"  # a message.send was refused: code, message, client_msg_id
# STREAM_RESYNC ("stream.resync") is made by the gateway itself: realtime/events.py

# Client to server
PING = "ping"
MESSAGE_SEND = "message.send"
TYPING = "typing"  # answered by nothing; the others get the catalogue's TYPING event
READ = "read"
