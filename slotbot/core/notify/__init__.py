"""Notifications: the outbox rows a booking writes (``outbox``) and calendar files
(``ics``)."""
