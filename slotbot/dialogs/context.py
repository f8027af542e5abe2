"""What a step needs while handling one event: the turn's unit of work, the clock, the
client, texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability.busy import Versions
from slotbot.core.availability.directory import Directory
from slotbot.core.availability.free import FreeTime
from slotbot.core.clients import ClientDetails, client_details
from slotbot.core.storage.unit_of_work import UnitOfWork
from slotbot.dialogs.actions import encode
from slotbot.dialogs.events import Outcome, Visitor
from slotbot.dialogs.i18n import Texts, texts
from slotbot.dialogs.screens import Screen

__all__ = ["Context"]


@dataclass(slots=True)
class Context:
    """One event's world. ``version`` is the session version the new screens belong to."""

    engine: AsyncEngine
    #: The turn's unit of work: steps read through :attr:`session` and pass ``uow=`` to
    #: core's writes, which commit together with the saved session at the end of the turn.
    uow: UnitOfWork
    now: datetime
    visitor: Visitor
    client_id: int
    locale: str
    version: int
    directory: Directory
    specialist_id: int | None = None  # set when the visitor is a linked specialist
    telegram_username: str = ""  # the bot's @username, for "Continue in Telegram" links
    sms_ready: bool = False  # an SMS provider is configured (phone codes can be sent)
    link_secret: str = ""  # the key that signs the waiting list's slot links
    notice: str = ""  # a toast for the channel (Telegram's callback answer)
    #: False when a press changed nothing: the channel keeps its screen and shows the notice.
    redraw: bool = True
    extra: list[Screen] = field(default_factory=list)  # sent after the main screen
    #: What this event did to the client's bookings (the reply reports it).
    happened: list[Outcome] = field(default_factory=list)
    #: The catalog and bookings versions read with the session (see :attr:`free`).
    versions: Versions | None = None
    _free: FreeTime | None = field(default=None, init=False, repr=False)
    _free_writes: int = field(default=0, init=False, repr=False)
    _client: ClientDetails | None = field(default=None, init=False, repr=False)
    _client_writes: int = field(default=0, init=False, repr=False)

    @property
    def texts(self) -> Texts:
        return texts(self.locale)

    @property
    def session(self) -> AsyncSession:
        """The unit of work's session: reads see what the turn wrote before them."""
        return self.uow.session

    @property
    def free(self) -> FreeTime:
        """Questions about free time at this event's moment, at the versions read with the
        session until the turn writes: after a write the next question reads them again and
        sees what was written."""
        if self._free is None or self._free_writes != self.uow.writes:
            if self.uow.writing:
                self.versions = None  # the turn's writes may have moved them
            self._free = FreeTime(
                self.session, now=self.now, versions=self.versions, committed=not self.uow.writing
            )
            self._free_writes = self.uow.writes
        return self._free

    async def client(self) -> ClientDetails:
        """The client as stored now, what the turn wrote included: read once, and again
        after each write of the turn (every write goes through the unit of work)."""
        if self._client is None or self._client_writes != self.uow.writes:
            client = await client_details(self.session, self.client_id)
            assert client is not None
            self._client, self._client_writes = client, self.uow.writes
        return self._client

    def saw_client(self, client: ClientDetails) -> None:
        """``client`` as stored after the turn's latest write (returned by a core write that
        changed it, or read with something else since): :meth:`client` returns it without
        reading it again."""
        self._client, self._client_writes = client, self.uow.writes

    @property
    def own_zone(self) -> ZoneInfo:
        """The time zone of the specialist who is talking (their side of the dialog)."""
        assert self.specialist_id is not None
        return self.directory.specialists[self.specialist_id].timezone

    def keys(self, service_id: int, specialist_id: int) -> tuple[str, str]:
        """The keys of a booking's service and specialist (withdrawn ones included), as an
        :data:`Outcome` names them."""
        catalog = self.directory.catalog
        return catalog.services[service_id].key, catalog.specialists[specialist_id].key

    def act(self, code: str, *args: int | str) -> str:
        """A button action for the screen being made."""
        return encode(self.version, code, *args)
