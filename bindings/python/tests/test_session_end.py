"""A client that is never closed, only dropped and collected by the garbage collector, ends its
session like a closed one: every toy it set moving gets its stop. The other ways a session ends
are covered by the Rust suite (tests/session_end.rs); this is the binding's own one. The time
from dropping the last reference to the stops is printed (a figure, not an assertion)."""

from __future__ import annotations

import gc
import time
from typing import Dict, List

import haptix

TOYS = {"gc-hush": "LVS-Hush", "gc-lush": "LVS-Lush"}
START = b"Vibrate:7;"  # 0.35 on a 20-step motor
STOP = b"Vibrate:0;"
NAMES = ["Lovense Hush", "Lovense Lush"]
DEADLINE = 10.0


def last_writes_become(observer: haptix.Client, want: bytes) -> None:
    """Polls the toys' writes (through a client that stays open) until the latest write of
    every toy is `want`. TakeWrites drains what it returns, so each toy's latest write is kept
    across polls."""
    last: Dict[str, bytes] = {}
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for address in TOYS:
            writes: List[haptix.Write] = observer.take_writes(address)
            if writes:
                last[address] = writes[-1].data
        if all(last.get(address) == want for address in TOYS):
            return
        time.sleep(0.002)
    raise AssertionError(f"the toys' latest writes are {last}, expected {want!r} for each")


def drive_toys(context: haptix.Context) -> haptix.Client:
    """A client that found both toys and set them vibrating."""
    client = haptix.Client.connect_embedded(context, name="collected")
    client.start_scanning()
    devices = [client.wait_for_device(timeout=DEADLINE, name=name) for name in NAMES]
    client.stop_scanning()
    for device in devices:
        device.vibrate(0.35)
    return client


def test_a_collected_client_stops_every_toy() -> None:
    toys = [haptix.SimulatedDevice(name, address) for address, name in TOYS.items()]
    with haptix.Context(simulated_devices=toys) as context:
        with haptix.Client.connect_embedded(context, name="observer") as observer:
            client = drive_toys(context)
            last_writes_become(observer, START)
            # No close() and no disconnect: drop the only reference and let the collector
            # finalize the client.
            ended = time.perf_counter()
            del client
            gc.collect()
            collected = time.perf_counter()
            last_writes_become(observer, STOP)
            elapsed_ms = (time.perf_counter() - ended) * 1000
            collect_ms = (collected - ended) * 1000
            print(
                "\nsession end: Python client collected by the GC: every toy stopped "
                f"{elapsed_ms:.1f} ms after the last reference was dropped "
                f"(gc.collect() itself took {collect_ms:.1f} ms of that)"
            )
            # the server goes on: the observer still works
            observer.ping()
