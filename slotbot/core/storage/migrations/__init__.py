"""Alembic migrations; run them with :func:`slotbot.core.storage.schema.upgrade`."""
