#!/usr/bin/env python3
"""Generates bindings/cpp/include/haptix/messages.hpp: the haptix.v1 protobuf messages as plain
C++17 structs with an encoder and a decoder that need no libprotobuf.

Reads every proto/haptix/v1/*.proto (the proto3 subset the schema uses: top-level enums and
messages, scalar, enum, message, `optional`, `repeated` and `oneof` fields). Anything else is
refused with an error naming the file and line, so a schema change cannot be dropped silently.

    gen_codec.py            rewrite the header
    gen_codec.py --check    exit 1 when the committed header differs from what would be generated

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
PROTO_DIR = ROOT / "proto" / "haptix" / "v1"
OUTPUT = HERE.parent / "include" / "haptix" / "messages.hpp"

# proto scalar -> (C++ type, wire type, write function, read function)
SCALARS = {
    "double": ("double", 1, "fixed64_double", "fixed64_double"),
    "float": ("float", 5, "fixed32_float", "fixed32_float"),
    "int32": ("std::int32_t", 0, "varint_int32", "varint_int32"),
    "int64": ("std::int64_t", 0, "varint_int64", "varint_int64"),
    "uint32": ("std::uint32_t", 0, "varint_uint32", "varint_uint32"),
    "uint64": ("std::uint64_t", 0, "varint_uint64", "varint_uint64"),
    "sint32": ("std::int32_t", 0, "varint_sint32", "varint_sint32"),
    "sint64": ("std::int64_t", 0, "varint_sint64", "varint_sint64"),
    "fixed32": ("std::uint32_t", 5, "fixed32_uint", "fixed32_uint"),
    "fixed64": ("std::uint64_t", 1, "fixed64_uint", "fixed64_uint"),
    "sfixed32": ("std::int32_t", 5, "fixed32_int", "fixed32_int"),
    "sfixed64": ("std::int64_t", 1, "fixed64_int", "fixed64_int"),
    "bool": ("bool", 0, "varint_bool", "varint_bool"),
    "string": ("std::string", 2, "string", "string"),
    "bytes": ("std::string", 2, "string", "string"),
}


# Member names the generated structs use themselves.
RESERVED_NAMES = {"unknown_fields", "encode", "decode", "encode_to", "decode_from", "has_unknown_fields"}


class SchemaError(Exception):
    pass


@dataclass
class Field:
    name: str
    type: str
    number: int
    label: str  # "", "optional", "repeated"
    oneof: Optional[str] = None
    comment: List[str] = field(default_factory=list)


@dataclass
class Oneof:
    name: str
    fields: List[Field] = field(default_factory=list)
    comment: List[str] = field(default_factory=list)


@dataclass
class Message:
    name: str
    file: str
    fields: List[Field] = field(default_factory=list)
    oneofs: List[Oneof] = field(default_factory=list)
    comment: List[str] = field(default_factory=list)


@dataclass
class Enum:
    name: str
    file: str
    values: List[tuple] = field(default_factory=list)
    comment: List[str] = field(default_factory=list)


TOKEN = re.compile(r'//[^\n]*|"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*|-?\d+|[{}=;<>,\[\]()]|\S')


def tokenize(text: str, path: str):
    line = 1
    pos = 0
    for m in TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        yield m.group(0), line


def parse(path: Path, messages: Dict[str, Message], enums: Dict[str, Enum]) -> None:
    name = path.name
    tokens = list(tokenize(path.read_text(encoding="utf-8"), name))
    i = 0
    comment: List[str] = []
    last_line = 0

    def fail(msg: str, at: int) -> None:
        raise SchemaError(f"{name}:{tokens[min(at, len(tokens) - 1)][1]}: {msg}")

    def expect(tok: str) -> None:
        nonlocal i
        if i >= len(tokens) or tokens[i][0] != tok:
            fail(f"expected {tok!r}", i)
        i += 1

    def take_comment() -> List[str]:
        nonlocal comment
        c, comment = comment, []
        return c

    def next_token() -> str:
        nonlocal i, comment, last_line
        while i < len(tokens) and tokens[i][0].startswith("//"):
            text, line = tokens[i]
            if line != last_line + 1 and comment and line > last_line + 1:
                comment = []
            comment.append(text[2:].strip())
            last_line = line
            i += 1
        if i >= len(tokens):
            return ""
        tok = tokens[i][0]
        return tok

    def skip_trailing_comment() -> None:
        nonlocal i, comment
        # A comment on the same line as the previous token belongs to it: drop it.
        if i < len(tokens) and tokens[i][0].startswith("//") and tokens[i][1] == tokens[i - 1][1]:
            i += 1

    def parse_field(msg: Message, oneof: Optional[Oneof]) -> None:
        nonlocal i
        doc = take_comment()
        label = ""
        tok = tokens[i][0]
        if tok in ("optional", "repeated"):
            if oneof is not None:
                fail("labels are not allowed inside a oneof", i)
            label = tok
            i += 1
        elif tok in ("map", "group", "required", "reserved", "extensions", "message", "enum", "option"):
            fail(f"unsupported construct {tok!r} inside message {msg.name}", i)
        ftype = tokens[i][0]
        i += 1
        fname = tokens[i][0]
        i += 1
        if fname.endswith("_") or fname in RESERVED_NAMES:
            fail(f"field name {fname!r} collides with the generated code", i - 1)
        expect("=")
        try:
            number = int(tokens[i][0])
        except ValueError:
            fail("expected a field number", i)
        i += 1
        if tokens[i][0] == "[":
            fail("field options are not supported", i)
        expect(";")
        skip_trailing_comment()
        f = Field(fname, ftype, number, label, oneof.name if oneof else None, doc)
        msg.fields.append(f)
        if oneof is not None:
            oneof.fields.append(f)

    while True:
        tok = next_token()
        if not tok:
            break
        if tok in ("syntax", "package", "import", "option"):
            start = i
            while tokens[i][0] != ";":
                i += 1
            if tok == "syntax" and tokens[start + 2][0] != '"proto3"':
                fail("only proto3 is supported", start)
            if tok == "package" and tokens[start + 1][0] != "haptix.v1":
                fail("only package haptix.v1 is supported", start)
            i += 1
            comment = []
            continue
        if tok == "enum":
            doc = take_comment()
            i += 1
            ename = tokens[i][0]
            i += 1
            expect("{")
            e = Enum(ename, name, [], doc)
            while next_token() != "}":
                vdoc = take_comment()
                vname = tokens[i][0]
                i += 1
                expect("=")
                e.values.append((vname, int(tokens[i][0]), vdoc))
                i += 1
                expect(";")
                skip_trailing_comment()
            i += 1
            comment = []
            if ename in enums or ename in messages:
                fail(f"duplicate name {ename}", i - 1)
            enums[ename] = e
            continue
        if tok == "message":
            doc = take_comment()
            i += 1
            mname = tokens[i][0]
            i += 1
            expect("{")
            msg = Message(mname, name, [], [], doc)
            while next_token() != "}":
                if tokens[i][0] == "oneof":
                    odoc = take_comment()
                    i += 1
                    o = Oneof(tokens[i][0], [], odoc)
                    i += 1
                    expect("{")
                    while next_token() != "}":
                        parse_field(msg, o)
                    i += 1
                    msg.oneofs.append(o)
                else:
                    parse_field(msg, None)
            i += 1
            comment = []
            if mname in enums or mname in messages:
                fail(f"duplicate name {mname}", i - 1)
            messages[mname] = msg
            continue
        fail(f"unsupported top-level construct {tok!r}", i)


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def enum_value_name(enum: Enum, value: str) -> str:
    # OUTPUT_TYPE_VIBRATE in enum OutputType -> kVibrate (prefix stripped, as protobuf's C# does).
    prefix = re.sub(r"(?<!^)([A-Z])", r"_\1", enum.name).upper() + "_"
    short = value[len(prefix):] if value.startswith(prefix) else value
    return "k" + camel(short.lower())


def doc_lines(lines: List[str], indent: str) -> List[str]:
    return [f"{indent}/// {line}".rstrip() for line in lines]


class Generator:
    def __init__(self, messages: Dict[str, Message], enums: Dict[str, Enum]) -> None:
        self.messages = messages
        self.enums = enums
        self.out: List[str] = []

    def kind(self, f: Field) -> str:
        if f.type in SCALARS:
            return "scalar"
        if f.type in self.enums:
            return "enum"
        if f.type in self.messages:
            return "message"
        raise SchemaError(f"{f.name}: unknown type {f.type}")

    def cpp_type(self, f: Field) -> str:
        k = self.kind(f)
        if k == "scalar":
            return SCALARS[f.type][0]
        return f.type

    def order(self) -> List[Message]:
        """Messages ordered so that every message comes after the ones it contains by value."""
        done: Dict[str, bool] = {}
        result: List[Message] = []

        def visit(m: Message, path: List[str]) -> None:
            if done.get(m.name):
                return
            if m.name in path:
                raise SchemaError(f"recursive message {m.name} is not supported")
            for f in m.fields:
                if f.type in self.messages:
                    visit(self.messages[f.type], path + [m.name])
            done[m.name] = True
            result.append(m)

        for m in self.messages.values():
            visit(m, [])
        return result

    def w(self, line: str = "") -> None:
        self.out.append(line)

    def generate(self) -> str:
        w = self.w
        files = sorted({m.file for m in self.messages.values()} | {e.file for e in self.enums.values()})
        w("// haptix/messages.hpp: the haptix.v1 protobuf messages for C++, without libprotobuf.")
        w("//")
        w("// GENERATED FILE: produced by bindings/cpp/tools/gen_codec.py from proto/haptix/v1/")
        w(f"// ({', '.join(files)}).")
        w("// Do not edit by hand; run the tool after changing the schema (its --check option tells")
        w("// whether this file is stale).")
        w("//")
        w("// Every message is a plain struct. Scalars and enums are members with their proto3 default;")
        w("// `optional` fields and singular message fields are std::optional; repeated fields are")
        w("// std::vector; a oneof is an enum `<name>_case` telling which of its members is set (the")
        w("// others keep their defaults and are not encoded). Fields this schema does not know are kept")
        w("// in `unknown_fields` when decoding and written back when encoding. Enums are open, as in")
        w("// proto3: a value the schema does not name is kept as its number.")
        w("//")
        w("// encode() appends to a std::string that the caller owns (reuse one to avoid allocating);")
        w("// decode() reads from borrowed bytes and returns false on malformed input. Neither throws,")
        w("// and both are safe to call from any thread on distinct objects.")
        w("")
        w("#ifndef HAPTIX_MESSAGES_HPP")
        w("#define HAPTIX_MESSAGES_HPP")
        w("")
        w("#include <cstddef>")
        w("#include <cstdint>")
        w("#include <optional>")
        w("#include <string>")
        w("#include <vector>")
        w("")
        w('#include "haptix/wire.hpp"')
        w("")
        w("namespace haptix {")
        w("namespace v1 {")
        w("")
        for e in self.enums.values():
            self.gen_enum(e)
        ordered = self.order()
        for m in ordered:
            w(f"struct {m.name};")
        w("")
        for m in ordered:
            self.gen_struct(m)
        w("/// Calls X(Name) once for every message of the schema, in dependency order.")
        w("#define HAPTIX_V1_FOR_EACH_MESSAGE(X) \\")
        for n, m in enumerate(ordered):
            tail = " \\" if n + 1 < len(ordered) else ""
            w(f"    X({m.name}){tail}")
        w("")
        w("}  // namespace v1")
        w("}  // namespace haptix")
        w("")
        w("#endif  // HAPTIX_MESSAGES_HPP")
        return "\n".join(self.out) + "\n"

    def gen_enum(self, e: Enum) -> None:
        w = self.w
        for line in doc_lines(e.comment or [f"proto enum haptix.v1.{e.name}."], ""):
            w(line)
        w(f"enum class {e.name} : std::int32_t {{")
        for vname, number, vdoc in e.values:
            for line in doc_lines(vdoc, "    "):
                w(line)
            w(f"    {enum_value_name(e, vname)} = {number},  // {vname}")
        w("};")
        w("")
        w(f"/// The schema's name of a {e.name} value (\"{e.values[0][0]}\"), or an empty string for a")
        w("/// number the schema does not name. The string is static.")
        w(f"inline const char *name({e.name} value) noexcept {{")
        w("    switch (value) {")
        for vname, number, _ in e.values:
            w(f"    case {e.name}::{enum_value_name(e, vname)}:")
            w(f"        return \"{vname}\";")
        w("    }")
        w("    return \"\";")
        w("}")
        w("")

    def member_decl(self, f: Field) -> str:
        t = self.cpp_type(f)
        k = self.kind(f)
        if f.label == "repeated":
            return f"std::vector<{t}> {f.name};"
        if f.oneof is not None:
            if k == "message":
                return f"{t} {f.name}{{}};"
            return f"{t} {f.name}{{}};"
        if f.label == "optional" or k == "message":
            return f"std::optional<{t}> {f.name};"
        return f"{t} {f.name}{{}};"

    def gen_struct(self, m: Message) -> None:
        w = self.w
        for line in doc_lines(m.comment or [f"proto message haptix.v1.{m.name}."], ""):
            w(line)
        w(f"struct {m.name} {{")
        for o in m.oneofs:
            for line in doc_lines(o.comment or [f"Which member of oneof `{o.name}` is set."], "    "):
                w(line)
            w(f"    enum class {camel(o.name)}Case : std::uint32_t {{")
            w("        kNotSet = 0,")
            for f in o.fields:
                w(f"        k{camel(f.name)} = {f.number},")
            w("    };")
            w("")
        for f in m.fields:
            for line in doc_lines(f.comment, "    "):
                w(line)
            if f.oneof is not None:
                w(f"    /// Member of oneof `{f.oneof}`: meaningful when {f.oneof}_case is k{camel(f.name)}.")
            w(f"    {self.member_decl(f)}  // = {f.number}")
        for o in m.oneofs:
            w(f"    /// Which member of `{o.name}` is set (kNotSet: none).")
            w(f"    {camel(o.name)}Case {o.name}_case = {camel(o.name)}Case::kNotSet;")
        w("    /// Encoded fields this schema does not know, kept by decode() and written by encode().")
        w("    std::string unknown_fields;")
        w("")
        w("    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,")
        w("    /// then unknown_fields, as libprotobuf writes them.")
        w("    void encode(std::string &out_) const {")
        w("        wire::Writer writer_(out_);")
        w("        encode_to(writer_);")
        w("    }")
        w("    /// The encoded message in a new string.")
        w("    std::string encode() const {")
        w("        std::string out_;")
        w("        encode(out_);")
        w("        return out_;")
        w("    }")
        w("    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on")
        w("    /// malformed input, leaving *this in a valid but unspecified state.")
        w("    bool decode(const std::uint8_t *data_, std::size_t len_) {")
        w(f"        *this = {m.name}{{}};")
        w("        wire::Reader reader_(data_, len_);")
        w("        return decode_from(reader_) && reader_.at_end();")
        w("    }")
        w("    /// decode() over a string's bytes.")
        w("    bool decode(const std::string &data_) {")
        w("        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());")
        w("    }")
        w("")
        w("    /// True when this message or one it contains kept fields this schema does not know")
        w("    /// (sent by a newer library).")
        w("    bool has_unknown_fields() const {")
        w("        if (!unknown_fields.empty()) {")
        w("            return true;")
        w("        }")
        for f in sorted(m.fields, key=lambda f: f.number):
            if self.kind(f) != "message":
                continue
            if f.label == "repeated":
                w(f"        for (const auto &item_ : {f.name}) {{")
                w("            if (item_.has_unknown_fields()) {")
                w("                return true;")
                w("            }")
                w("        }")
            elif f.oneof is not None:
                w(f"        if ({f.oneof}_case == {camel(f.oneof)}Case::k{camel(f.name)} && {f.name}.has_unknown_fields()) {{")
                w("            return true;")
                w("        }")
            else:
                w(f"        if ({f.name} && {f.name}->has_unknown_fields()) {{")
                w("            return true;")
                w("        }")
        w("        return false;")
        w("    }")
        w("")
        w("    /// Writes the fields through `writer` (used for nested messages).")
        w("    void encode_to(wire::Writer &writer_) const {")
        for f in sorted(m.fields, key=lambda f: f.number):
            self.gen_encode_field(m, f)
        w("        writer_.raw(unknown_fields);")
        w("    }")
        w("")
        w("    /// Reads fields until `reader` is exhausted (used for nested messages).")
        w("    bool decode_from(wire::Reader &reader_) {")
        w("        while (!reader_.at_end()) {")
        w("            std::uint32_t number_ = 0;")
        w("            std::uint32_t type_ = 0;")
        w("            const std::size_t start_ = reader_.position();")
        w("            if (!reader_.tag(number_, type_)) {")
        w("                return false;")
        w("            }")
        w("            bool known_ = false;")
        if m.fields:
            w("            switch (number_) {")
            for f in sorted(m.fields, key=lambda f: f.number):
                self.gen_decode_field(m, f)
            w("            default:")
            w("                break;")
            w("            }")
        w("            if (!known_) {")
        w("                if (!reader_.skip(number_, type_)) {")
        w("                    return false;")
        w("                }")
        w("                reader_.copy_since(start_, unknown_fields);")
        w("            }")
        w("        }")
        w("        return true;")
        w("    }")
        w("};")
        w("")

    def gen_encode_field(self, m: Message, f: Field) -> None:
        w = self.w
        k = self.kind(f)
        n = f.number
        if f.label == "repeated":
            if k == "message":
                w(f"        for (const auto &item_ : {f.name}) {{")
                w(f"            writer_.message({n}, item_);")
                w("        }")
            elif k == "enum":
                w(f"        writer_.packed_enum({n}, {f.name});")
            elif f.type in ("string", "bytes"):
                w(f"        for (const auto &item_ : {f.name}) {{")
                w(f"            writer_.field_string({n}, item_);")
                w("        }")
            else:
                w(f"        writer_.packed_{SCALARS[f.type][2]}({n}, {f.name});")
            return
        if f.oneof is not None:
            cond = f"{f.oneof}_case == {camel(f.oneof)}Case::k{camel(f.name)}"
            value = f.name
            always = True
        elif f.label == "optional" or k == "message":
            cond = f"{f.name}.has_value()"
            value = f"*{f.name}"
            always = True
        else:
            cond = None
            value = f.name
            always = False
        if k == "message":
            call = f"writer_.message({n}, {value});"
        elif k == "enum":
            call = f"writer_.field_enum({n}, {value}, {'true' if always else 'false'});"
        else:
            call = f"writer_.field_{SCALARS[f.type][2]}({n}, {value}, {'true' if always else 'false'});"
        if cond:
            w(f"        if ({cond}) {{")
            w(f"            {call}")
            w("        }")
        else:
            w(f"        {call}")

    def gen_decode_field(self, m: Message, f: Field) -> None:
        w = self.w
        k = self.kind(f)
        n = f.number
        w(f"            case {n}:")
        if f.label == "repeated":
            if k == "message":
                w("                if (type_ == 2) {")
                w(f"                    {f.name}.emplace_back();")
                w(f"                    if (!reader_.message({f.name}.back())) {{")
                w("                        return false;")
                w("                    }")
                w("                    known_ = true;")
                w("                }")
            elif k == "enum":
                w(f"                if (!reader_.repeated_enum(type_, {f.name}, known_)) {{")
                w("                    return false;")
                w("                }")
            elif f.type in ("string", "bytes"):
                w("                if (type_ == 2) {")
                w(f"                    {f.name}.emplace_back();")
                w(f"                    if (!reader_.read_string({f.name}.back())) {{")
                w("                        return false;")
                w("                    }")
                w("                    known_ = true;")
                w("                }")
            else:
                w(f"                if (!reader_.repeated_{SCALARS[f.type][3]}(type_, {f.name}, known_)) {{")
                w("                    return false;")
                w("                }")
            w("                break;")
            return
        if k == "message":
            wt = 2
        elif k == "enum":
            wt = 0
        else:
            wt = SCALARS[f.type][1]
        w(f"                if (type_ == {wt}) {{")
        if f.oneof is not None:
            case = f"{camel(f.oneof)}Case::k{camel(f.name)}"
            if k == "message":
                # A repeated occurrence of the same member merges, as protobuf does.
                w(f"                    if ({f.oneof}_case != {case}) {{")
                w(f"                        {f.name} = {f.type}{{}};")
                w("                    }")
                w(f"                    if (!reader_.message({f.name})) {{")
                w("                        return false;")
                w("                    }")
            else:
                self.read_scalar(f, k, f.name, "                    ")
            w(f"                    {f.oneof}_case = {case};")
        elif k == "message":
            w(f"                    if (!{f.name}) {{")
            w(f"                        {f.name}.emplace();")
            w("                    }")
            w(f"                    if (!reader_.message(*{f.name})) {{")
            w("                        return false;")
            w("                    }")
        elif f.label == "optional":
            w(f"                    {f.name}.emplace();")
            self.read_scalar(f, k, f"*{f.name}", "                    ")
        else:
            self.read_scalar(f, k, f.name, "                    ")
        w("                    known_ = true;")
        w("                }")
        w("                break;")

    def read_scalar(self, f: Field, k: str, target: str, indent: str) -> None:
        if k == "enum":
            fn = "read_enum"
        elif f.type in ("string", "bytes"):
            fn = "read_string"
        else:
            fn = "read_" + SCALARS[f.type][3]
        self.w(f"{indent}if (!reader_.{fn}({target})) {{")
        self.w(f"{indent}    return false;")
        self.w(f"{indent}}}")


def generate() -> str:
    messages: Dict[str, Message] = {}
    enums: Dict[str, Enum] = {}
    protos = sorted(PROTO_DIR.glob("*.proto"))
    if not protos:
        raise SchemaError(f"no .proto files under {PROTO_DIR}")
    for path in protos:
        parse(path, messages, enums)
    return Generator(messages, enums).generate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the header is stale")
    args = parser.parse_args()
    try:
        text = generate()
    except SchemaError as e:
        print(f"gen_codec.py: {e}", file=sys.stderr)
        return 2
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), "committed", "generated", n=1
                )
            )
            print(
                "gen_codec.py: bindings/cpp/include/haptix/messages.hpp is stale; "
                "run bindings/cpp/tools/gen_codec.py",
                file=sys.stderr,
            )
            return 1
        print("gen_codec.py: messages.hpp is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"gen_codec.py: wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
