"""The haptix demo, through the C ABI from Python: an embedded server with a simulated Lovense
Hush, a client that scans for it and plays a short pattern, and what the toy received after each
command. Needs no hardware. Run it with scripts/demo.sh (which builds the library), or set
HAPTIX_LIBRARY to a built libhaptix and run this file."""

from __future__ import annotations

import sys
from typing import List

import haptix

TOY = "LVS-Hush"
ADDRESS = "demo-hush"


def received(writes: List[haptix.Write]) -> str:
    if not writes:
        return "the toy received nothing (unchanged)"
    return "the toy received " + ", ".join(str(w) for w in writes)


def main() -> int:
    try:
        path = haptix.load()
    except (haptix.LibraryError, haptix.AbiMismatch) as e:
        print(f"haptix demo: {e}", file=sys.stderr)
        return 1
    version = haptix.library_version()
    print(f"Haptix demo from Python: {path.name} {version}, C ABI {haptix.ABI_VERSION}.")
    print(f"An embedded server with a simulated toy ({TOY}), driven by a client through the C ABI.")

    with haptix.Context(simulated_devices=[haptix.SimulatedDevice(TOY, ADDRESS)]) as context:
        with haptix.Client.connect_embedded(context, name="haptix Python demo") as client:
            print(f"connected to {client.server_name!r} (message spec v{client.spec_version})")
            client.start_scanning()
            device = client.wait_for_device(timeout=10)
            client.stop_scanning()
            print(f"found device {device.index}: {device.label}")
            for feature in device.features:
                parts = [f"{o.output_type.name.lower()} 0-{o.value.max}" for o in feature.outputs]  # type: ignore[union-attr]
                parts += [f"{i.input_type.name.lower()} input" for i in feature.inputs]  # type: ignore[union-attr]
                print(f"  feature {feature.index}: {', '.join(parts)}")
            handshake = client.take_writes(ADDRESS)
            if handshake:
                print(f"  {'(identification)':<22} -> {received(handshake)}")

            def show(what: str) -> None:
                # The write happens just after the command's response: poll briefly.
                writes = client.take_writes(ADDRESS, wait=0.5)
                print(f"  {what:<22} -> {received(writes)}")

            for level in (0.25, 0.5, 1.0, 0.5):
                device.vibrate(level)
                show(f"vibrate {level:.0%}")
            battery = device.battery()
            show(f"battery read: {battery:.0%}")
            device.stop()
            show("stop")
            client.disconnect()
        print("disconnected; shutting down")
    print("done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
