"""Storage: the async engine and write transactions (``db``), the data model
(``models``), migrations (``schema``, ``migrations/``) and dialog sessions (``sessions``)."""
