"""The rate limits' bucket table and who counts as this computer."""

from __future__ import annotations

import pytest

from slotbot.web.guards import Buckets, Rate, is_loopback


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_full_table_drops_its_oldest_buckets_not_the_limited_ones() -> None:
    clock = Clock()
    buckets = Buckets(Rate(burst=2, per_second=0.01), clock=clock, max_keys=100)
    assert buckets.take("attacker") == 0 and buckets.take("attacker") == 0
    assert buckets.take("attacker") > 0  # limited
    # A flood of new addresses fills the table and keeps coming; the attacker keeps trying.
    for n in range(1_000):
        clock.now += 0.001
        assert buckets.take(f"flood-{n}") == 0
        if n % 50 == 0:
            assert buckets.take("attacker") > 0, n  # still limited: never forgiven
        assert len(buckets) <= 100
    assert len(buckets) == 100
    # The oldest of the flood went first; the newest are still counted.
    assert buckets.take("flood-999") == 0 and buckets.take("flood-999") > 0
    assert buckets.take("flood-0") == 0 and buckets.take("flood-0") == 0  # forgotten: full


def test_a_dropped_bucket_only_forgives() -> None:
    clock = Clock()
    buckets = Buckets(Rate(burst=1, per_second=1), clock=clock, max_keys=2)
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0
    assert buckets.take("c") == 0  # "a" goes
    assert buckets.take("b") > 0 and buckets.take("c") > 0
    assert buckets.take("a") == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LOCALHOST", True),
        ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("203.0.113.7", False),
        ("::ffff:203.0.113.7", False), ("shop.example", False), ("", False),
    ],
)  # fmt: skip
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
