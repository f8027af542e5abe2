"""The fixtures of the notification tests (:mod:`tests.core.notify.wiring`)."""

from tests.core.notify.wiring import chat, close_dispatchers, dispatcher, shop, sms, smtp

__all__ = ["chat", "close_dispatchers", "dispatcher", "shop", "sms", "smtp"]
