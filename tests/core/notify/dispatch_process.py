"""A dispatcher as a process of its own, for the fault tests: SMS to the stand-in, the other
channels to the outbox page, everything due at the given instant.

    python -m tests.core.notify.dispatch_process DATABASE_URL SMS_URL NOW BATCH CONCURRENCY
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.senders import ShownOnOutboxPage
from slotbot.core.notify.sms import SmsSender
from slotbot.core.storage.db import create_engine


async def main(url: str, sms_url: str, now: str, batch: str, concurrency: str) -> None:
    engine = create_engine(url)
    sms = SmsSender(api_url=sms_url, account_sid="AC123", auth_token="sms-token", sender="+1555")
    senders = {"sms": sms, "email": ShownOnOutboxPage("email"),
               "telegram": ShownOnOutboxPage("telegram")}  # fmt: skip
    dispatcher = Dispatcher(engine, senders, batch=int(batch), concurrency=int(concurrency))  # type: ignore[arg-type]
    print("ready", flush=True)
    tally = await dispatcher.drain(now=datetime.fromisoformat(now))
    print(f"sent {tally.sent}", flush=True)
    await sms.aclose()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
