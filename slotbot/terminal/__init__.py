"""The terminal chat (`slotbot chat`): the client dialog as a channel of its own."""
