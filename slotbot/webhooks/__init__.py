"""The FastAPI app, the `slotbot` command and the composition root."""
