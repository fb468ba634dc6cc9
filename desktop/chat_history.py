"""Chats moved into the engine (engine/chats.py) so the CLI sees the window's chats; the names stay importable here."""

from __future__ import annotations

from engine import Chat, ChatStore, ChatSummary, Turn, chat_from_json, chat_to_json, new_chat

__all__ = ["Chat", "ChatStore", "ChatSummary", "Turn", "chat_from_json", "chat_to_json", "new_chat"]
