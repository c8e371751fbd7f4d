#!/usr/bin/env python3
"""Reference bytes for the C# codec tests, from Python's protobuf (the official implementation).

  protocheck.py PYOUT produce DIR   writes samples of every haptix.v1 message type to DIR
  protocheck.py PYOUT verify DIR    checks every DIR/<Type>.<label>.bin written by the C# tests
  protocheck.py PYOUT describe DIR  lists the fields of every DIR/<Type>.<label>.bin (samples the
                                    Rust side wrote) in DIR/<Type>.<label>.fields

PYOUT is a folder holding the modules grpc_tools.protoc generated from proto/ (haptix/v1/*_pb2.py).

produce: for each message type, `<Type>.empty.bin`, `<Type>.full.bin` (every field set to a value
that is not its default, optional fields set to their zero value so that presence matters,
repeated fields with two elements, nested messages filled), one `<Type>.<member>.bin` per oneof
member, `<Type>.enum-unknown.bin` where enum fields hold numbers the schema does not name, and
`<Type>.unknown.bin`: the full sample with unknown fields of every wire type appended (the C#
codec must skip them, so its re-encoding equals `<Type>.full.bin`).

verify: each file must parse as its type and re-serialize to the same bytes. Prints one line per
failure and a summary `N passed, N failed`; exits 1 when anything failed.

describe: each file must parse as its type and re-serialize to the same bytes; its fields as
Python's protobuf decodes them are written one per line, sorted: `path=value`, where path is the
field names from the top (`features[1].outputs[0].value.min`), a present message is `path={}`,
and values are numbers (enums too), `true`/`false`, `f64:`/`f32:` and the big-endian IEEE bits in
hex, `utf8:` and the string's UTF-8 in hex, `bytes:` and the bytes in hex. Only fields that are
present are listed (non-default values, explicit presence, the selected oneof member). The C#
tests print their own decoding the same way and compare.
"""

import importlib
import os
import struct
import sys

from google.protobuf import descriptor


def load(pyout):
    sys.path.insert(0, pyout)
    types = {}
    for module in ("device_pb2", "options_pb2", "request_pb2", "event_pb2"):
        m = importlib.import_module("haptix.v1." + module)
        for name, d in m.DESCRIPTOR.message_types_by_name.items():
            types[name] = getattr(m, name)
    return types


SCALAR_VALUES = {
    descriptor.FieldDescriptor.TYPE_DOUBLE: -0.25,
    descriptor.FieldDescriptor.TYPE_FLOAT: 1.5,
    descriptor.FieldDescriptor.TYPE_INT32: -5,
    descriptor.FieldDescriptor.TYPE_INT64: -1234567890123,
    descriptor.FieldDescriptor.TYPE_UINT32: 4000000000,
    descriptor.FieldDescriptor.TYPE_UINT64: 2**63 + 5,
    descriptor.FieldDescriptor.TYPE_SINT32: -7,
    descriptor.FieldDescriptor.TYPE_SINT64: -8,
    descriptor.FieldDescriptor.TYPE_FIXED32: 9,
    descriptor.FieldDescriptor.TYPE_FIXED64: 10,
    descriptor.FieldDescriptor.TYPE_SFIXED32: -11,
    descriptor.FieldDescriptor.TYPE_SFIXED64: -12,
    descriptor.FieldDescriptor.TYPE_BOOL: True,
    descriptor.FieldDescriptor.TYPE_STRING: "h\u00e9llo \u2713",
    descriptor.FieldDescriptor.TYPE_BYTES: b"\x00\xff\x10",
}


def value_for(field, unknown_enum, index):
    if field.type == descriptor.FieldDescriptor.TYPE_ENUM:
        if unknown_enum:
            return 77 + index
        values = [v.number for v in field.enum_type.values if v.number != 0]
        return values[(index + 1) % len(values)] if values else 0
    v = SCALAR_VALUES[field.type]
    if index and isinstance(v, (int, float)) and not isinstance(v, bool):
        v = v * 3
    return v


def fill(msg, depth, unknown_enum=False, oneof_choice=None):
    d = msg.DESCRIPTOR
    for field in d.fields:
        oneof = field.containing_oneof
        if oneof is not None and not is_synthetic(oneof):
            wanted = (oneof_choice or {}).get(oneof.name, oneof.fields[0].name)
            if field.name != wanted:
                continue
        is_repeated = getattr(field, "is_repeated", None)
        if is_repeated is None:
            is_repeated = field.label == descriptor.FieldDescriptor.LABEL_REPEATED
        if field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
            if depth <= 0:
                continue
            if is_repeated:
                for _ in range(2):
                    fill(getattr(msg, field.name).add(), depth - 1, unknown_enum)
            else:
                sub = getattr(msg, field.name)
                sub.SetInParent()
                fill(sub, depth - 1, unknown_enum)
            continue
        if is_repeated:
            getattr(msg, field.name).extend([value_for(field, unknown_enum, 0), value_for(field, unknown_enum, 1)])
        elif oneof is not None and is_synthetic(oneof):
            # proto3 `optional`: set the zero value, so only explicit presence makes it appear.
            zero = {descriptor.FieldDescriptor.TYPE_BOOL: False, descriptor.FieldDescriptor.TYPE_STRING: "",
                    descriptor.FieldDescriptor.TYPE_BYTES: b""}.get(field.type, 0)
            setattr(msg, field.name, zero)
        else:
            setattr(msg, field.name, value_for(field, unknown_enum, 0))


def is_synthetic(oneof):
    """The oneof protoc makes for a proto3 `optional` field."""
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def real_oneofs(d):
    return [o for o in d.oneofs if not is_synthetic(o)]


UNKNOWN_TAIL = (
    bytes([0xC0, 0x3E, 0x96, 0x01])  # field 1000 varint 150
    + bytes([0xCA, 0x3E, 0x03]) + b"abc"  # field 1001 length-delimited
    + bytes([0xD5, 0x3E, 1, 2, 3, 4])  # field 1002 fixed32
    + bytes([0xD9, 0x3E, 1, 2, 3, 4, 5, 6, 7, 8])  # field 1003 fixed64
)


def produce(types, out):
    os.makedirs(out, exist_ok=True)
    count = 0

    def write(name, label, data):
        nonlocal count
        with open(os.path.join(out, "%s.%s.bin" % (name, label)), "wb") as f:
            f.write(data)
        count += 1

    for name, cls in sorted(types.items()):
        write(name, "empty", cls().SerializeToString(deterministic=True))
        full = cls()
        fill(full, 3)
        full_bytes = full.SerializeToString(deterministic=True)
        write(name, "full", full_bytes)
        write(name, "unknown", full_bytes + UNKNOWN_TAIL)
        if any(f.type == descriptor.FieldDescriptor.TYPE_ENUM for f in cls.DESCRIPTOR.fields) or any(
            f.type == descriptor.FieldDescriptor.TYPE_MESSAGE for f in cls.DESCRIPTOR.fields
        ):
            odd = cls()
            fill(odd, 3, unknown_enum=True)
            write(name, "enum-unknown", odd.SerializeToString(deterministic=True))
        for oneof in real_oneofs(cls.DESCRIPTOR):
            for member in oneof.fields:
                m = cls()
                fill(m, 3, oneof_choice={oneof.name: member.name})
                write(name, "oneof-" + member.name, m.SerializeToString(deterministic=True))
    print("protocheck: wrote %d samples of %d message types" % (count, len(types)))
    return 0


def verify(types, folder):
    passed = failed = 0
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".bin"):
            continue
        name = entry.split(".")[0]
        with open(os.path.join(folder, entry), "rb") as f:
            data = f.read()
        cls = types.get(name)
        if cls is None:
            print("FAIL %s: no message type %s" % (entry, name))
            failed += 1
            continue
        try:
            msg = cls()
            msg.ParseFromString(data)
            again = msg.SerializeToString(deterministic=True)
        except Exception as e:  # noqa: BLE001 - any parse error is a failure to report
            print("FAIL %s: Python cannot parse it: %s" % (entry, e))
            failed += 1
            continue
        if again != data:
            print("FAIL %s: Python re-encodes it differently:\n  C#:     %s\n  Python: %s" % (entry, data.hex(), again.hex()))
            failed += 1
            continue
        passed += 1
    print("protocheck verify: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def field_lines(msg, prefix, lines):
    for field, value in msg.ListFields():
        path = prefix + field.name
        is_repeated = getattr(field, "is_repeated", None)
        if is_repeated is None:
            is_repeated = field.label == descriptor.FieldDescriptor.LABEL_REPEATED
        if is_repeated:
            for i, v in enumerate(value):
                value_lines(field, v, "%s[%d]" % (path, i), lines)
        else:
            value_lines(field, value, path, lines)


def value_lines(field, value, path, lines):
    t = field.type
    if t == descriptor.FieldDescriptor.TYPE_MESSAGE:
        lines.append(path + "={}")
        field_lines(value, path + ".", lines)
    elif t == descriptor.FieldDescriptor.TYPE_BOOL:
        lines.append("%s=%s" % (path, "true" if value else "false"))
    elif t == descriptor.FieldDescriptor.TYPE_DOUBLE:
        lines.append("%s=f64:%s" % (path, struct.pack(">d", value).hex()))
    elif t == descriptor.FieldDescriptor.TYPE_FLOAT:
        lines.append("%s=f32:%s" % (path, struct.pack(">f", value).hex()))
    elif t == descriptor.FieldDescriptor.TYPE_STRING:
        lines.append("%s=utf8:%s" % (path, value.encode("utf-8").hex()))
    elif t == descriptor.FieldDescriptor.TYPE_BYTES:
        lines.append("%s=bytes:%s" % (path, value.hex()))
    else:  # the integer types and enums
        lines.append("%s=%d" % (path, value))


def describe(types, folder):
    passed = failed = 0
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".bin"):
            continue
        name = entry.split(".")[0]
        with open(os.path.join(folder, entry), "rb") as f:
            data = f.read()
        cls = types.get(name)
        if cls is None:
            print("FAIL %s: no message type %s" % (entry, name))
            failed += 1
            continue
        try:
            msg = cls()
            msg.ParseFromString(data)
            again = msg.SerializeToString(deterministic=True)
        except Exception as e:  # noqa: BLE001 - any parse error is a failure to report
            print("FAIL %s: Python cannot parse it: %s" % (entry, e))
            failed += 1
            continue
        if again != data:
            print("FAIL %s: Python re-encodes it differently:\n  Rust:   %s\n  Python: %s" % (entry, data.hex(), again.hex()))
            failed += 1
            continue
        lines = []
        field_lines(msg, "", lines)
        with open(os.path.join(folder, entry[: -len(".bin")] + ".fields"), "w", encoding="ascii", newline="\n") as f:
            f.write("".join(line + "\n" for line in sorted(lines)))
        passed += 1
    print("protocheck describe: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main(argv):
    modes = {"produce": produce, "verify": verify, "describe": describe}
    if len(argv) != 4 or argv[2] not in modes:
        print(__doc__, file=sys.stderr)
        return 2
    return modes[argv[2]](load(argv[1]), argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
