"""The web app: the public API, the widget API, the Telegram webhook, the review page."""
