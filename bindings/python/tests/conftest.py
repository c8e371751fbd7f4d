"""Shared fixtures: a context with one simulated Lovense Hush, a client of its embedded server,
and the scanned device. The library comes from HAPTIX_LIBRARY (scripts set it to the freshly
built target/debug library) or, failing that, the repository's target/ directory."""

from __future__ import annotations

import gc
import time
from typing import Callable, Iterator, List

import pytest

import haptix

ADDRESS = "hush-1"


def pytest_report_header(config: pytest.Config) -> str:
    return f"haptix library: {haptix.load()} (version {haptix.library_version()})"


@pytest.fixture
def context() -> Iterator[haptix.Context]:
    with haptix.Context(simulated_devices=[haptix.SimulatedDevice("LVS-Hush", ADDRESS)]) as ctx:
        yield ctx


@pytest.fixture
def client(context: haptix.Context) -> Iterator[haptix.Client]:
    with haptix.Client.connect_embedded(context, name="pytest") as c:
        yield c


@pytest.fixture
def device(client: haptix.Client) -> haptix.Device:
    client.start_scanning()
    found = client.wait_for_device(timeout=10)
    client.stop_scanning()
    client.take_writes(ADDRESS)  # the identification handshake
    return found


def writes_until(
    client: haptix.Client, predicate: Callable[[List[haptix.Write]], bool], timeout: float = 3.0
) -> List[haptix.Write]:
    """Collects a simulated device's writes until `predicate` holds for what was collected."""
    collected: List[haptix.Write] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        collected += client.take_writes(ADDRESS)
        if predicate(collected):
            return collected
        time.sleep(0.01)
    return collected


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Every test leaves no open native object behind (fixtures close theirs)."""
    before = haptix._lifecycle.live_count()
    yield
    gc.collect()
    haptix._lifecycle.reaper.drain(timeout=10)
    assert haptix._lifecycle.live_count() <= before
