"""Failures carry their status and the library's message, as typed exceptions."""

from __future__ import annotations

import ctypes

import pytest

import haptix
from haptix import OutputType, Status, _native
from haptix.client import _output_op
from haptix.v1 import request_pb2


def test_output_to_unknown_device(client: haptix.Client) -> None:
    with pytest.raises(haptix.DeviceNotFound) as info:
        client._core.call(_output_op(99, OutputType.VIBRATE, 0.5, None, None, 0))
    error = info.value
    assert error.status == Status.ERROR_DEVICE_NOT_FOUND == 400
    assert "99" in error.message
    assert isinstance(error, haptix.DeviceError) and isinstance(error, LookupError)
    assert error.status_name == "ERROR_DEVICE_NOT_FOUND"
    assert "ERROR_DEVICE_NOT_FOUND" in str(error)


def test_unknown_feature(device: haptix.Device) -> None:
    with pytest.raises(haptix.FeatureNotFound) as info:
        device.vibrate(0.5, feature=42)
    assert info.value.status == Status.ERROR_FEATURE_NOT_FOUND
    assert info.value.message


def test_unsupported_output(device: haptix.Device) -> None:
    with pytest.raises(haptix.NotSupported) as info:
        device.rotate(0.5)
    assert info.value.status == Status.ERROR_NOT_SUPPORTED
    assert info.value.message


def test_out_of_range_level(device: haptix.Device) -> None:
    with pytest.raises(haptix.OutOfRange) as info:
        device.vibrate(1.5)
    assert info.value.status == Status.ERROR_OUT_OF_RANGE
    assert info.value.message


def test_garbage_bytes_are_rejected_by_send(client: haptix.Client) -> None:
    library = _native.lib()
    garbage = b"\xff\xff\xff\xff\x0f"
    with client._core.handle.use() as pointer:
        status = library.haptix_client_send(pointer, garbage, len(garbage), None)
        message = _native.last_error_message()
    assert status == Status.ERROR_INVALID_PROTOBUF
    assert message
    with pytest.raises(haptix.InvalidProtobuf) as info:
        with client._core.handle.use() as pointer:
            _native.check(library.haptix_client_send(pointer, garbage, len(garbage), None), "send")
    assert info.value.status == Status.ERROR_INVALID_PROTOBUF
    assert info.value.message == message


def test_request_without_kind(client: haptix.Client) -> None:
    with pytest.raises(haptix.InvalidArgument) as info:
        client.send(request_pb2.Request())
    assert info.value.status == Status.ERROR_INVALID_ARGUMENT
    assert info.value.message
    assert client._core._pending == {}  # the failed request left nothing behind


def test_unknown_enum_value(client: haptix.Client, device: haptix.Device) -> None:
    with pytest.raises(haptix.HaptixError) as info:
        client._core.call(_output_op(device.index, 77, 0.5, None, None, 0))
    assert info.value.status in (Status.ERROR_INVALID_ARGUMENT, Status.ERROR_NOT_SUPPORTED)


def test_level_and_steps_are_exclusive(device: haptix.Device) -> None:
    with pytest.raises(ValueError):
        device.output(OutputType.VIBRATE, 0.5, steps=3)
    with pytest.raises(ValueError):
        device.output(OutputType.VIBRATE)


def test_null_pointer_and_invalid_handle_statuses() -> None:
    library = _native.lib()
    assert (
        library.haptix_context_new(haptix.ABI_VERSION, None, 0, None) == Status.ERROR_NULL_POINTER
    )
    assert _native.last_error_message()
    bogus = ctypes.c_void_p(0x1000)
    buffer = _native.Buffer()
    assert (
        library.haptix_client_next_event(bogus, 0, ctypes.byref(buffer))
        == Status.ERROR_INVALID_HANDLE
    )
    assert _native.last_error_message()


def test_invalid_options_are_rejected() -> None:
    library = _native.lib()
    out = ctypes.c_void_p()
    status = library.haptix_context_new(haptix.ABI_VERSION, b"\xff\xff\xff", 3, ctypes.byref(out))
    assert status == Status.ERROR_INVALID_PROTOBUF
    with pytest.raises(haptix.InvalidConfig) as info:
        haptix.Context(device_config_json=b"{not json")
    assert info.value.message


def test_unknown_codes_are_generic() -> None:
    error = haptix.error_for_status(455, "new device failure")
    assert type(error) is haptix.DeviceError
    assert error.status == 455 and error.status_name == "STATUS_455"
    error = haptix.error_for_status(9999, "from the future")
    assert type(error) is haptix.HaptixError and error.message == "from the future"
    assert isinstance(haptix.error_for_status(205), TimeoutError)
    assert isinstance(haptix.error_for_status(200), haptix.Closed)


def test_response_errors_raise_in_the_awaiting_future(client: haptix.Client) -> None:
    request = request_pb2.Request(
        output=request_pb2.Output(device_index=99, output_type=1, level=0.5)
    )
    future = client.send(request)
    with pytest.raises(haptix.DeviceNotFound):
        future.result(timeout=10)
