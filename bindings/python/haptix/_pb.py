"""The generated protobuf modules: haptix/v1/*_pb2.py, made from proto/ at build time."""

from __future__ import annotations

try:
    from .v1 import device_pb2, event_pb2, options_pb2, request_pb2
except ModuleNotFoundError as e:  # pragma: no cover - only in a source tree that was never built
    if not (e.name or "").startswith("haptix.v1"):
        raise
    raise ImportError(
        "haptix: the generated protobuf modules (haptix.v1) are missing; install the package "
        "with pip (`pip install bindings/python`), which generates them from proto/"
    ) from e

__all__ = ["device_pb2", "event_pb2", "options_pb2", "request_pb2"]
