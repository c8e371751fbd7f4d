#!/usr/bin/env bash
# Installs the system packages the build needs, idempotently (only what is missing), on
# Debian-like systems: pkg-config and the D-Bus development files (Bluetooth LE through
# btleplug links libdbus on Linux), the udev development files (gamepads through gilrs link
# libudev on Linux), and python3-venv for the Python binding. Other systems:
# install the equivalents by hand.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "$(uname -s)" = Linux ] && ! pkg-config --exists dbus-1 2>/dev/null; then
    missing+=(libdbus-1-dev)
fi
# gamepads (the gamepad feature, through gilrs) link libudev on Linux
if [ "$(uname -s)" = Linux ] && ! pkg-config --exists libudev 2>/dev/null; then
    missing+=(libudev-dev)
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps: please install: ${missing[*]}" >&2
        exit 1
    fi
    echo "== installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
