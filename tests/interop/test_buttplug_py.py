"""Interop: the PyPI `buttplug` client (written by others) against `haptix serve`.

`haptix serve --simulate LVS-Hush` prints every operation the simulated toy receives; the test
drives the toy through the Python client and checks the exact bytes. The server binary comes
from HAPTIX_BIN (set by scripts/test.sh), else target/debug/haptix.
"""

from __future__ import annotations

import asyncio
import os
import queue
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from buttplug import ButtplugClient, DeviceOutputCommand, OutputType

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("HAPTIX_BIN", ROOT / "target" / "debug" / "haptix"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HaptixServe:
    """A `haptix serve` process whose stdout lines are collected on a thread."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--websocket-port", str(self.port), "--log", "warn", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        self.expect("serving Buttplug clients")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def expect(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; saw {seen}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def serve():
    if not BIN.exists():
        pytest.fail(f"haptix binary not found at {BIN}; build it with `cargo build`")
    server = HaptixServe("--simulate", "LVS-Hush")
    yield server
    server.close()
    assert server.proc.returncode == 0, "haptix serve must exit cleanly on SIGTERM"


async def find_device(client: ButtplugClient):
    await client.start_scanning()
    for _ in range(100):
        if client.devices:
            break
        await asyncio.sleep(0.1)
    await client.stop_scanning()
    assert client.devices, "the simulated toy was not found"
    return next(iter(client.devices.values()))


def toy_received(serve: HaptixServe, command: str) -> None:
    serve.expect(f'[LVS-Hush] received on tx: "{command}"')


def test_python_client_vibrates_and_stops(serve: HaptixServe) -> None:
    async def run() -> None:
        client = ButtplugClient("pytest interop")
        await client.connect(serve.url)
        device = await find_device(client)
        assert device.name == "Lovense Hush"
        assert device.has_output(OutputType.VIBRATE)
        for level, expected in [(0.25, "Vibrate:5;"), (0.5, "Vibrate:10;"), (1.0, "Vibrate:20;")]:
            await device.run_output(DeviceOutputCommand(OutputType.VIBRATE, level))
            toy_received(serve, expected)
        await device.run_output(DeviceOutputCommand(OutputType.VIBRATE, 7))
        toy_received(serve, "Vibrate:7;")
        assert device.has_battery()
        assert abs(await device.battery() - 0.85) < 1e-9
        await device.stop()
        toy_received(serve, "Vibrate:0;")
        await client.disconnect()

    asyncio.run(run())


def test_dropping_the_connection_stops_the_toy(serve: HaptixServe) -> None:
    async def run() -> None:
        client = ButtplugClient("pytest interop")
        await client.connect(serve.url)
        device = await find_device(client)
        await device.run_output(DeviceOutputCommand(OutputType.VIBRATE, 0.5))
        toy_received(serve, "Vibrate:10;")
        await client.disconnect()
        toy_received(serve, "Vibrate:0;")
        # the toy stays connected, with its index, for the next client
        again = ButtplugClient("second client")
        await again.connect(serve.url)
        for _ in range(50):
            if again.devices:
                break
            await asyncio.sleep(0.1)
        assert 0 in again.devices
        await again.disconnect()

    asyncio.run(run())
