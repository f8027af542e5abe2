"""The waiting list: "tell me if something frees up" (issue 16).

- :mod:`.entries`: joining, changing, leaving and listing a client's entries, the shop's
  waiting-list settings, the counts the specialist's agenda shows;
- :mod:`.ending`: an entry ends in the very transaction that confirms the client's booking
  of its service within its range (called by ``core.booking``);
- :mod:`.matching`: the periodic job that finds freed time for the waiting entries and writes
  the offers into the outbox;
- :mod:`.notice`: what an offer says, checked against the free time at send time;
- :mod:`.links`: the signed, expiring link an SMS or e-mail offer carries;
- :mod:`.free`: the one place the waiting list asks the slot engine for free time.

The package imports nothing eagerly: ``core.booking`` imports :mod:`.ending`.
"""
