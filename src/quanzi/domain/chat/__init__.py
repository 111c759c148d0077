"""Chats: direct and group conversations, messages with gap-free sequences, read cursors."""
