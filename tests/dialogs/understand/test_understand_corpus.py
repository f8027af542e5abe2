"""The reader against a corpus of messages as people type them (``corpus.py``, written
before the reader): it prints the share read right and fails below 95%."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slotbot.dialogs.understand import Reading
from tests.dialogs.understand.catalogs import Catalog, demo, two_annas
from tests.dialogs.understand.corpus import DEMO, DEMO_LATER, TWO_ANNAS, UNCLEAR_DATES, Case

FIELDS = ("intent", "service", "specialist", "date", "time", "language")


def expected(spec: str) -> dict[str, str]:
    """``"service=haircut date=2026-12-02"`` as the fields a reading should have."""
    fields = dict.fromkeys(FIELDS, "")
    for word in spec.split():
        name, _, value = word.partition("=")
        assert name in FIELDS, f"unknown field {name!r} in {spec!r}"
        fields[name] = ",".join(sorted(value.split(",")))
    if not fields["intent"] and any(fields[f] for f in ("service", "specialist", "date", "time")):
        fields["intent"] = "book"
    return fields


def described(reading: Reading, catalog: Catalog) -> dict[str, str]:
    """A reading in the corpus's terms."""
    people = [catalog.specialist_key[m.id] for m in reading.specialists]
    dates = [
        d.first.isoformat() if d.single else f"{d.first.isoformat()}..{d.last.isoformat()}"
        for d in reading.dates
    ]
    times = []
    for window in reading.times:
        start = window.start.strftime("%H:%M") if window.start else ""
        end = window.end.strftime("%H:%M") if window.end else ""
        times.append(start if window.exact else f"{start}-{end}")
    return {
        "intent": reading.intent.value if reading.intent else "",
        "service": ",".join(sorted(catalog.service_key[m.id] for m in reading.services)),
        "specialist": ",".join(sorted(people + (["any"] if reading.anyone else []))),
        "date": ",".join(sorted(dates)),
        "time": ",".join(sorted(times)),
        "language": reading.language or "",
    }


def test_the_corpus_is_read_right() -> None:
    suites: list[tuple[str, Catalog, ZoneInfo, list[Case]]] = [
        ("demo clinic", demo(), ZoneInfo("Europe/Berlin"), DEMO),
        ("demo clinic, second batch", demo(), ZoneInfo("Europe/Berlin"), DEMO_LATER),
        ("two Annas", two_annas(), ZoneInfo("Europe/Berlin"), TWO_ANNAS),
        ("date order unknown", demo(), ZoneInfo("UTC"), UNCLEAR_DATES),
    ]
    right = total = russian = 0
    wrong: list[str] = []
    for name, catalog, zone, cases in suites:
        for locale, text, spec in cases:
            got = described(catalog.read(text, locale, zone=zone), catalog)
            want = expected(spec)
            total += 1
            russian += locale == "ru"
            if got == want:
                right += 1
            else:
                diff = {f: (want[f], got[f]) for f in FIELDS if want[f] != got[f]}
                wrong.append(f"  [{name}] {locale} {text!r}: expected/got {diff}")
    share = right / total
    print(f"\ncorpus: {right}/{total} read right ({share:.1%}); {russian} messages in Russian")
    print("\n".join(wrong))
    assert total >= 200 and 0.4 <= russian / total <= 0.6
    assert share >= 0.95, f"{share:.1%} read right, below 95%:\n" + "\n".join(wrong)
