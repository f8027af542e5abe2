"""Alembic migrations; run them with :func:`slotbot.core.schema.upgrade`."""
