"""The Telegram adapter (python-telegram-bot) over dialogs and core."""
