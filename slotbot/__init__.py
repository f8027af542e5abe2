"""slotbot: conversational booking of specialists."""

__version__ = "0.1.0"
