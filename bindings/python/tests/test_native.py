"""The thin layer: loading, the ABI check, declarations of every exported function."""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

import pytest

import haptix
from haptix import _native

HEADER = Path(
    os.environ.get("HAPTIX_HEADER", Path(__file__).resolve().parents[3] / "include" / "haptix.h")
)


def test_load_and_abi_version() -> None:
    path = haptix.load()
    assert path.name == haptix.library_file_name()
    assert _native.lib().haptix_abi_version() == haptix.ABI_VERSION == 2
    assert re.match(r"\d+\.\d+\.\d+", haptix.library_version())


def header_functions() -> set:
    assert HEADER.is_file(), f"{HEADER} is missing (set HAPTIX_HEADER to use another one)"
    text = HEADER.read_text(encoding="utf-8")
    # Only declarations: drop comments first, the doxygen text mentions functions too.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return set(re.findall(r"\b(haptix_\w+)\s*\(", text))


def test_every_header_function_is_declared() -> None:
    functions = header_functions()
    assert len(functions) >= 19
    missing = functions - set(_native.FUNCTIONS)
    assert not missing, f"functions in haptix.h without argtypes/restype here: {sorted(missing)}"
    extra = set(_native.FUNCTIONS) - functions
    assert not extra, f"declared here but not in haptix.h: {sorted(extra)}"


def test_declarations_are_applied() -> None:
    library = _native.lib()
    for name, (restype, argtypes) in _native.FUNCTIONS.items():
        if name in _native.OPTIONAL_FUNCTIONS and not _native.has_function(name):
            continue  # an older library; the binding falls back
        function = getattr(library, name)
        assert function.restype is restype, name
        assert list(function.argtypes) == list(argtypes), name


def test_header_parameter_counts_match() -> None:
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(encoding="utf-8"), flags=re.S)
    for name, params in re.findall(r"\b(haptix_\w+)\s*\(([^)]*)\)\s*;", text):
        params = params.strip()
        count = 0 if params in ("", "void") else params.count(",") + 1
        assert len(_native.FUNCTIONS[name][1]) == count, name


def test_missing_library_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HAPTIX_LIBRARY", str(tmp_path / "nope.so"))
    with pytest.raises(haptix.LibraryError, match="nope.so"):
        _native.find_library()
    monkeypatch.delenv("HAPTIX_LIBRARY")
    monkeypatch.setattr(_native, "candidate_paths", lambda: [tmp_path / "libhaptix.so"])
    with pytest.raises(haptix.LibraryError) as info:
        _native.find_library()
    assert haptix.library_file_name() in str(info.value)
    assert "HAPTIX_LIBRARY" in str(info.value)


def test_library_file_names() -> None:
    assert _native.library_file_name("linux") == "libhaptix.so"
    assert _native.library_file_name("darwin") == "libhaptix.dylib"
    assert _native.library_file_name("win32") == "haptix.dll"


def test_mismatched_abi_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Function:
        restype = None
        argtypes = None

        def __call__(self) -> int:
            return haptix.ABI_VERSION + 1

    class FakeLibrary:
        haptix_abi_version = Function()

    monkeypatch.setattr(_native, "_library", None)
    monkeypatch.setattr(_native.ctypes, "CDLL", lambda path: FakeLibrary())
    with pytest.raises(haptix.AbiMismatch) as info:
        _native.lib()
    assert info.value.status == haptix.Status.ERROR_ABI_MISMATCH
    ours, theirs = haptix.ABI_VERSION, haptix.ABI_VERSION + 1
    assert f"version {ours}" in info.value.message and f"version {theirs}" in info.value.message
    assert _native._library is None  # nothing half-loaded


def test_context_new_rejects_other_abi_version() -> None:
    out = ctypes.c_void_p()
    status = _native.lib().haptix_context_new(haptix.ABI_VERSION + 1, None, 0, ctypes.byref(out))
    assert status == haptix.Status.ERROR_ABI_MISMATCH
    assert _native.last_error_message()
    assert out.value is None


def test_last_error_message_truncates() -> None:
    library = _native.lib()
    out = ctypes.c_void_p()
    assert library.haptix_context_new(haptix.ABI_VERSION + 1, None, 0, ctypes.byref(out)) != 0
    full = ctypes.c_size_t()
    buf = ctypes.create_string_buffer(4)
    status = library.haptix_last_error_message(buf, 4, ctypes.byref(full))
    assert status == haptix.Status.BUFFER_TOO_SMALL
    assert full.value > 3
    assert len(buf.value) == 3
    assert (
        library.haptix_last_error_message(None, 0, ctypes.byref(full))
        == haptix.Status.BUFFER_TOO_SMALL
    )


def test_buffer_free_accepts_null_and_zeroed() -> None:
    library = _native.lib()
    library.haptix_buffer_free(None)
    buffer = _native.Buffer()
    library.haptix_buffer_free(ctypes.byref(buffer))


def test_generated_protobuf_modules_import_as_subpackage() -> None:
    from haptix.v1 import device_pb2, event_pb2, options_pb2, request_pb2

    event = event_pb2.Event(device_added=event_pb2.DeviceAdded(device=device_pb2.Device(index=3)))
    assert event_pb2.Event.FromString(event.SerializeToString()).device_added.device.index == 3
    assert request_pb2.Request.DESCRIPTOR.full_name == "haptix.v1.Request"
    assert options_pb2.ContextOptions.DESCRIPTOR.file.package == "haptix.v1"


def test_package_is_typed() -> None:
    assert (Path(haptix.__file__).parent / "py.typed").is_file()


def test_enums_match_schema() -> None:
    from haptix.v1 import device_pb2, options_pb2

    for enum_type, ours in (
        (device_pb2.OutputType, haptix.OutputType),
        (device_pb2.InputType, haptix.InputType),
        (device_pb2.InputCommand, haptix.InputCommand),
        (options_pb2.LogLevel, haptix.LogLevel),
        (options_pb2.CommManager, haptix.CommManager),
    ):
        prefix = re.sub(r"(?<!^)([A-Z])", r"_\1", enum_type.DESCRIPTOR.name).upper() + "_"
        schema = {name[len(prefix) :]: number for name, number in enum_type.items()}
        assert schema == {m.name: m.value for m in ours}, enum_type.DESCRIPTOR.name
