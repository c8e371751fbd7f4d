"""The thin layer: loads the native library and mirrors its C ABI one-to-one with ctypes.

Every exported function gets `argtypes` and `restype` (see `FUNCTIONS`). Nothing here knows about
protobuf or threads; `check` turns a status plus the thread's last error message into an
exception.

The library is found, in order, at:

1. the path in the environment variable `HAPTIX_LIBRARY`;
2. inside this package (installing from the repository bundles the library built there, see
   setup.py; wheels built with `HAPTIX_BUNDLE_LIBRARY` carry that one);
3. `target/release` then `target/debug` of the repository this package's source lives in
   (editable installs and running from a checkout), and of `CARGO_TARGET_DIR` when set.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import AbiMismatch, Status, error_for_status

#: The ABI version this binding is written against (`HAPTIX_ABI_VERSION`).
ABI_VERSION = 2

#: `uint32_t` timeout meaning "wait without limit".
WAIT_FOREVER_MS = 0xFFFFFFFF


class LibraryError(OSError):
    """The native library could not be found or loaded, or is not the expected one."""


class Buffer(Structure):
    """`haptix_buffer`: library-owned bytes, released with `haptix_buffer_free`."""

    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


#: `void (*)(void *user_data, const uint8_t *event, size_t len)`
EventCallback = CFUNCTYPE(None, c_void_p, POINTER(c_uint8), c_size_t)
#: `void (*)(void *user_data)`
WakeupCallback = CFUNCTYPE(None, c_void_p)
#: `void (*)(void *user_data)`
UserDataFree = CFUNCTYPE(None, c_void_p)

_status = c_int32
_handle = c_void_p
_bytes = c_char_p  # `const uint8_t *` input: Python bytes (or None with length 0)

#: name -> (restype, argtypes) for every function the C ABI exports.
FUNCTIONS: Dict[str, Tuple[Any, Sequence[Any]]] = {
    "haptix_abi_version": (c_uint32, ()),
    "haptix_version": (c_char_p, ()),
    "haptix_last_error_message": (_status, (c_void_p, c_size_t, POINTER(c_size_t))),
    "haptix_buffer_free": (None, (POINTER(Buffer),)),
    "haptix_context_new": (_status, (c_uint32, _bytes, c_size_t, POINTER(_handle))),
    "haptix_context_shutdown": (_status, (_handle, c_uint32)),
    "haptix_context_free": (None, (_handle,)),
    "haptix_context_next_event": (_status, (_handle, c_uint32, POINTER(Buffer))),
    "haptix_context_set_event_callback": (
        _status,
        (_handle, EventCallback, c_void_p, UserDataFree),
    ),
    "haptix_client_new": (_status, (_handle, _bytes, c_size_t, POINTER(_handle))),
    "haptix_client_send": (_status, (_handle, _bytes, c_size_t, POINTER(c_uint64))),
    "haptix_client_call": (
        _status,
        (_handle, _bytes, c_size_t, c_uint32, POINTER(Buffer)),
    ),
    "haptix_client_next_event": (_status, (_handle, c_uint32, POINTER(Buffer))),
    "haptix_client_set_event_callback": (
        _status,
        (_handle, EventCallback, c_void_p, UserDataFree),
    ),
    "haptix_client_set_wakeup_callback": (
        _status,
        (_handle, WakeupCallback, c_void_p, UserDataFree),
    ),
    "haptix_client_free": (None, (_handle,)),
    "haptix_server_new": (_status, (_handle, _bytes, c_size_t, POINTER(_handle))),
    "haptix_server_port": (_status, (_handle, POINTER(c_uint16))),
    "haptix_server_stop": (_status, (_handle, c_uint32)),
    "haptix_server_free": (None, (_handle,)),
}


#: Functions a library of this ABI may lack (added later in the ABI's life). The binding works
#: without them, more slowly or with less: `has_function` tells whether the loaded one has them.
#: None so far: ABI 2 has every function above.
OPTIONAL_FUNCTIONS: frozenset[str] = frozenset()


def library_file_name(platform: Optional[str] = None) -> str:
    """The library's file name on this platform: libhaptix.so, libhaptix.dylib or haptix.dll."""
    platform = platform or sys.platform
    if platform == "win32" or platform == "cygwin":
        return "haptix.dll"
    if platform == "darwin":
        return "libhaptix.dylib"
    return "libhaptix.so"


def candidate_paths() -> List[Path]:
    """Where the library is looked for, in order (HAPTIX_LIBRARY excluded)."""
    name = library_file_name()
    package_dir = Path(__file__).resolve().parent
    paths = [package_dir / name]
    target_dirs = []
    if os.environ.get("CARGO_TARGET_DIR"):
        target_dirs.append(Path(os.environ["CARGO_TARGET_DIR"]))
    # <repo>/bindings/python/haptix/_native.py -> <repo>/target
    repo = package_dir.parent.parent.parent
    if (repo / "Cargo.toml").is_file():
        target_dirs.append(repo / "target")
    for target in target_dirs:
        paths += [target / "release" / name, target / "debug" / name]
    return paths


def find_library() -> Path:
    """The path of the library to load, or LibraryError naming what was expected."""
    explicit = os.environ.get("HAPTIX_LIBRARY")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise LibraryError(f"HAPTIX_LIBRARY={explicit} does not name a file")
        return path
    candidates = candidate_paths()
    for path in candidates:
        if path.is_file():
            return path
    raise LibraryError(
        f"cannot find the haptix native library ({library_file_name()} for {sys.platform}): "
        "this haptix package was installed without it. Either build it in the haptix "
        "repository (`cargo build --release --lib`) and install the package again "
        "(`pip install ./bindings/python` bundles the library it finds there), or set "
        "HAPTIX_LIBRARY to the library's full path. Looked in: "
        + ", ".join(str(p) for p in candidates)
    )


def declare(cdll: ctypes.CDLL) -> None:
    """Sets argtypes/restype of every function in FUNCTIONS; LibraryError if one is missing."""
    missing = []
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            function = getattr(cdll, name)
        except AttributeError:
            if name not in OPTIONAL_FUNCTIONS:
                missing.append(name)
            continue
        function.restype = restype
        function.argtypes = list(argtypes)
    if missing:
        raise LibraryError(
            f"{cdll._name} does not export {', '.join(missing)}; it is not a haptix library "
            "of the ABI this binding expects"
        )


_lock = threading.Lock()
_library: Optional[ctypes.CDLL] = None
_library_path: Optional[Path] = None


def lib() -> ctypes.CDLL:
    """The loaded, declared and ABI-checked library (loaded on first use)."""
    global _library, _library_path
    library = _library
    if library is not None:
        return library
    with _lock:
        if _library is not None:
            return _library
        path = find_library()
        try:
            cdll = ctypes.CDLL(str(path))
        except OSError as e:
            raise LibraryError(f"cannot load {path}: {e}") from e
        try:
            version_fn = cdll.haptix_abi_version
        except AttributeError:
            raise LibraryError(f"{path} does not export haptix_abi_version") from None
        version_fn.restype = c_uint32
        version_fn.argtypes = []
        found = version_fn()
        if found != ABI_VERSION:
            raise AbiMismatch(
                Status.ERROR_ABI_MISMATCH,
                f"{path} has C ABI version {found}, but this haptix Python package needs "
                f"version {ABI_VERSION}; install the matching library or package",
            )
        declare(cdll)
        _library = cdll
        _library_path = path
        return cdll


def has_function(name: str) -> bool:
    """Whether the loaded library exports `name` (see OPTIONAL_FUNCTIONS)."""
    return hasattr(lib(), name)


def library_path() -> Path:
    """The path the library was loaded from (loads it if needed)."""
    lib()
    assert _library_path is not None
    return _library_path


def last_error_message() -> str:
    """The calling thread's last error message (meaningful right after a failed call)."""
    library = lib()
    capacity = 512
    while True:
        buf = ctypes.create_string_buffer(capacity)
        full = c_size_t(0)
        status = library.haptix_last_error_message(buf, capacity, ctypes.byref(full))
        if status == Status.BUFFER_TOO_SMALL and full.value + 1 > capacity:
            capacity = full.value + 1
            continue
        if status not in (Status.OK, Status.BUFFER_TOO_SMALL):
            return ""
        return buf.value.decode("utf-8", errors="replace")


def check(status: int, what: str) -> None:
    """Raises the exception for a non-OK status, with the thread's last error message."""
    if status != Status.OK:
        message = last_error_message() or f"{what} failed"
        raise error_for_status(status, message)


def take_buffer(buffer: Buffer) -> bytes:
    """Copies a library-owned buffer and frees it."""
    try:
        if not buffer.data or buffer.len == 0:
            return b""
        return ctypes.string_at(buffer.data, buffer.len)
    finally:
        lib().haptix_buffer_free(ctypes.byref(buffer))


def version() -> str:
    """The library's version string."""
    raw = lib().haptix_version()
    return raw.decode("utf-8", errors="replace") if raw else ""
