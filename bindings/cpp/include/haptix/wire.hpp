// haptix/wire.hpp: the protobuf wire format, as much of it as the generated haptix.v1 codec
// (haptix/messages.hpp) needs. Header-only, no exceptions, no RTTI, no libprotobuf.
//
// Writer appends to a std::string owned by the caller; Reader reads borrowed bytes and reports
// malformed input by returning false (never reading out of bounds). Both are plain values used
// on one thread at a time.

#ifndef HAPTIX_WIRE_HPP
#define HAPTIX_WIRE_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace haptix {
namespace wire {

/// Wire types of the protobuf encoding.
enum WireType : std::uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLengthDelimited = 2,
    kStartGroup = 3,
    kEndGroup = 4,
    kFixed32 = 5,
};

/// Appends protobuf fields to a string owned by the caller. Growing the string is the only
/// allocation, so a string reused across messages keeps its capacity and stops allocating.
class Writer {
public:
    /// `out` is borrowed for the writer's lifetime; bytes are appended to it.
    explicit Writer(std::string &out) noexcept : out_(out) {}

    /// Appends a base-128 varint.
    void varint(std::uint64_t value) {
        if (value < 0x80) {
            // Field keys and most values: one byte, through push_back's inlined fast path.
            out_.push_back(static_cast<char>(value));
            return;
        }
        char buf[10];
        std::size_t n = 0;
        while (value >= 0x80) {
            buf[n++] = static_cast<char>(static_cast<std::uint8_t>(value) | 0x80);
            value >>= 7;
        }
        buf[n++] = static_cast<char>(value);
        out_.append(buf, n);
    }
    /// Appends a field key.
    void tag(std::uint32_t number, std::uint32_t type) {
        varint((static_cast<std::uint64_t>(number) << 3) | type);
    }
    /// Appends bytes as they are (unknown fields kept by a decoder).
    void raw(const std::string &bytes) {
        if (!bytes.empty()) {  // usually empty: skip the call
            out_.append(bytes);
        }
    }

    // Singular fields. With `always` false a field equal to its default is skipped (proto3
    // implicit presence); with `always` true it is written (optional fields, oneof members).
    void field_varint_uint64(std::uint32_t n, std::uint64_t v, bool always) {
        if (v != 0 || always) {
            tag(n, kVarint);
            varint(v);
        }
    }
    void field_varint_uint32(std::uint32_t n, std::uint32_t v, bool always) {
        field_varint_uint64(n, v, always);
    }
    void field_varint_int64(std::uint32_t n, std::int64_t v, bool always) {
        field_varint_uint64(n, static_cast<std::uint64_t>(v), always);
    }
    void field_varint_int32(std::uint32_t n, std::int32_t v, bool always) {
        // Negative int32 values are sign-extended to ten bytes, as protobuf does.
        field_varint_uint64(n, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)), always);
    }
    void field_varint_sint32(std::uint32_t n, std::int32_t v, bool always) {
        field_varint_uint64(n, zigzag32(v), always);
    }
    void field_varint_sint64(std::uint32_t n, std::int64_t v, bool always) {
        field_varint_uint64(n, zigzag64(v), always);
    }
    void field_varint_bool(std::uint32_t n, bool v, bool always) {
        field_varint_uint64(n, v ? 1 : 0, always);
    }
    template <typename E>
    void field_enum(std::uint32_t n, E v, bool always) {
        field_varint_int32(n, static_cast<std::int32_t>(v), always);
    }
    void field_fixed64_uint(std::uint32_t n, std::uint64_t v, bool always) {
        if (v != 0 || always) {
            tag(n, kFixed64);
            fixed64(v);
        }
    }
    void field_fixed64_int(std::uint32_t n, std::int64_t v, bool always) {
        field_fixed64_uint(n, static_cast<std::uint64_t>(v), always);
    }
    void field_fixed64_double(std::uint32_t n, double v, bool always) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        // proto3 skips +0.0 only (-0.0 has a set sign bit and is written).
        field_fixed64_uint(n, bits, always);
    }
    void field_fixed32_uint(std::uint32_t n, std::uint32_t v, bool always) {
        if (v != 0 || always) {
            tag(n, kFixed32);
            fixed32(v);
        }
    }
    void field_fixed32_int(std::uint32_t n, std::int32_t v, bool always) {
        field_fixed32_uint(n, static_cast<std::uint32_t>(v), always);
    }
    void field_fixed32_float(std::uint32_t n, float v, bool always) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        field_fixed32_uint(n, bits, always);
    }
    void field_string(std::uint32_t n, const std::string &v, bool always = true) {
        if (!v.empty() || always) {
            tag(n, kLengthDelimited);
            varint(v.size());
            out_.append(v);
        }
    }

    /// Appends a nested message: key, length, then its fields. The length is reserved as one
    /// byte and widened afterwards only when the message turned out longer than 127 bytes.
    template <typename M>
    void message(std::uint32_t n, const M &m) {
        tag(n, kLengthDelimited);
        const std::size_t at = out_.size();
        out_.push_back('\0');
        m.encode_to(*this);
        const std::size_t len = out_.size() - at - 1;
        if (len < 0x80) {
            out_[at] = static_cast<char>(len);
            return;
        }
        char buf[10];
        std::size_t k = 0;
        std::uint64_t v = len;
        while (v >= 0x80) {
            buf[k++] = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
            v >>= 7;
        }
        buf[k++] = static_cast<char>(v);
        out_.replace(at, 1, buf, k);
    }

    // Repeated scalars, packed (the proto3 default); nothing is written for an empty list.
    template <typename T, typename F>
    void packed(std::uint32_t n, const std::vector<T> &items, F write_one) {
        if (items.empty()) {
            return;
        }
        std::string body;
        Writer inner(body);
        for (const T &item : items) {
            write_one(inner, item);
        }
        tag(n, kLengthDelimited);
        varint(body.size());
        out_.append(body);
    }
    template <typename E>
    void packed_enum(std::uint32_t n, const std::vector<E> &items) {
        packed(n, items, [](Writer &w, E v) {
            w.varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v))));
        });
    }
    void packed_varint_uint64(std::uint32_t n, const std::vector<std::uint64_t> &items) {
        packed(n, items, [](Writer &w, std::uint64_t v) { w.varint(v); });
    }
    void packed_varint_uint32(std::uint32_t n, const std::vector<std::uint32_t> &items) {
        packed(n, items, [](Writer &w, std::uint32_t v) { w.varint(v); });
    }
    void packed_varint_int64(std::uint32_t n, const std::vector<std::int64_t> &items) {
        packed(n, items, [](Writer &w, std::int64_t v) { w.varint(static_cast<std::uint64_t>(v)); });
    }
    void packed_varint_int32(std::uint32_t n, const std::vector<std::int32_t> &items) {
        packed(n, items, [](Writer &w, std::int32_t v) {
            w.varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
        });
    }
    void packed_varint_sint32(std::uint32_t n, const std::vector<std::int32_t> &items) {
        packed(n, items, [](Writer &w, std::int32_t v) { w.varint(zigzag32(v)); });
    }
    void packed_varint_sint64(std::uint32_t n, const std::vector<std::int64_t> &items) {
        packed(n, items, [](Writer &w, std::int64_t v) { w.varint(zigzag64(v)); });
    }
    void packed_varint_bool(std::uint32_t n, const std::vector<bool> &items) {
        packed(n, items, [](Writer &w, bool v) { w.varint(v ? 1 : 0); });
    }
    void packed_fixed64_uint(std::uint32_t n, const std::vector<std::uint64_t> &items) {
        packed(n, items, [](Writer &w, std::uint64_t v) { w.fixed64(v); });
    }
    void packed_fixed64_int(std::uint32_t n, const std::vector<std::int64_t> &items) {
        packed(n, items, [](Writer &w, std::int64_t v) { w.fixed64(static_cast<std::uint64_t>(v)); });
    }
    void packed_fixed64_double(std::uint32_t n, const std::vector<double> &items) {
        packed(n, items, [](Writer &w, double v) {
            std::uint64_t bits = 0;
            std::memcpy(&bits, &v, sizeof bits);
            w.fixed64(bits);
        });
    }
    void packed_fixed32_uint(std::uint32_t n, const std::vector<std::uint32_t> &items) {
        packed(n, items, [](Writer &w, std::uint32_t v) { w.fixed32(v); });
    }
    void packed_fixed32_int(std::uint32_t n, const std::vector<std::int32_t> &items) {
        packed(n, items, [](Writer &w, std::int32_t v) { w.fixed32(static_cast<std::uint32_t>(v)); });
    }
    void packed_fixed32_float(std::uint32_t n, const std::vector<float> &items) {
        packed(n, items, [](Writer &w, float v) {
            std::uint32_t bits = 0;
            std::memcpy(&bits, &v, sizeof bits);
            w.fixed32(bits);
        });
    }

    /// Appends 8 little-endian bytes.
    void fixed64(std::uint64_t v) {
        char buf[8];
        for (int i = 0; i < 8; ++i) {
            buf[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
        }
        out_.append(buf, 8);
    }
    /// Appends 4 little-endian bytes.
    void fixed32(std::uint32_t v) {
        char buf[4];
        for (int i = 0; i < 4; ++i) {
            buf[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
        }
        out_.append(buf, 4);
    }

    static std::uint64_t zigzag32(std::int32_t v) {
        return static_cast<std::uint32_t>((static_cast<std::uint32_t>(v) << 1) ^
                                          static_cast<std::uint32_t>(v >> 31));
    }
    static std::uint64_t zigzag64(std::int64_t v) {
        return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    }

private:
    std::string &out_;
};

/// Reads protobuf fields from borrowed bytes. Every read checks bounds and returns false on
/// truncated or malformed input; nested messages are limited to 64 levels.
class Reader {
public:
    /// `data[0..len)` is borrowed for the reader's lifetime.
    Reader(const std::uint8_t *data, std::size_t len) noexcept
        : data_(data), pos_(0), end_(data == nullptr ? 0 : len), depth_(0) {}

    bool at_end() const noexcept { return pos_ >= end_; }
    std::size_t position() const noexcept { return pos_; }

    /// Appends the bytes from `start` up to the current position to `out`.
    void copy_since(std::size_t start, std::string &out) const {
        out.append(reinterpret_cast<const char *>(data_ + start), pos_ - start);
    }

    bool varint(std::uint64_t &value) noexcept {
        std::uint64_t result = 0;
        for (unsigned shift = 0; shift < 70; shift += 7) {
            if (pos_ >= end_) {
                return false;
            }
            const std::uint8_t byte = data_[pos_++];
            if (shift == 63 && byte > 1) {
                return false;  // more than 64 bits
            }
            result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) {
                value = result;
                return true;
            }
        }
        return false;
    }
    /// Reads a field key; field number 0 and wire types 6 and 7 are malformed.
    bool tag(std::uint32_t &number, std::uint32_t &type) noexcept {
        std::uint64_t key = 0;
        if (!varint(key) || key > 0xffffffffu) {
            return false;
        }
        number = static_cast<std::uint32_t>(key >> 3);
        type = static_cast<std::uint32_t>(key & 7);
        return number != 0 && type <= kFixed32;
    }
    bool fixed64(std::uint64_t &v) noexcept {
        if (end_ - pos_ < 8) {
            return false;
        }
        v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= static_cast<std::uint64_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
        }
        pos_ += 8;
        return true;
    }
    bool fixed32(std::uint32_t &v) noexcept {
        if (end_ - pos_ < 4) {
            return false;
        }
        v = 0;
        for (int i = 0; i < 4; ++i) {
            v |= static_cast<std::uint32_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
        }
        pos_ += 4;
        return true;
    }
    /// Reads a length prefix and checks that many bytes remain.
    bool length(std::size_t &len) noexcept {
        std::uint64_t v = 0;
        if (!varint(v) || v > end_ - pos_) {
            return false;
        }
        len = static_cast<std::size_t>(v);
        return true;
    }

    // Singular values (the caller has checked the wire type).
    bool read_varint_uint64(std::uint64_t &v) noexcept { return varint(v); }
    bool read_varint_uint32(std::uint32_t &v) noexcept {
        std::uint64_t x = 0;
        if (!varint(x)) {
            return false;
        }
        v = static_cast<std::uint32_t>(x);  // truncated, as protobuf does
        return true;
    }
    bool read_varint_int64(std::int64_t &v) noexcept {
        std::uint64_t x = 0;
        if (!varint(x)) {
            return false;
        }
        v = static_cast<std::int64_t>(x);
        return true;
    }
    bool read_varint_int32(std::int32_t &v) noexcept {
        std::uint64_t x = 0;
        if (!varint(x)) {
            return false;
        }
        v = static_cast<std::int32_t>(static_cast<std::uint32_t>(x));
        return true;
    }
    bool read_varint_sint32(std::int32_t &v) noexcept {
        std::uint64_t x = 0;
        if (!varint(x)) {
            return false;
        }
        const auto u = static_cast<std::uint32_t>(x);
        v = static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
        return true;
    }
    bool read_varint_sint64(std::int64_t &v) noexcept {
        std::uint64_t u = 0;
        if (!varint(u)) {
            return false;
        }
        v = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
        return true;
    }
    bool read_varint_bool(bool &v) noexcept {
        std::uint64_t x = 0;
        if (!varint(x)) {
            return false;
        }
        v = x != 0;
        return true;
    }
    template <typename E>
    bool read_enum(E &v) noexcept {
        std::int32_t x = 0;
        if (!read_varint_int32(x)) {
            return false;
        }
        v = static_cast<E>(x);
        return true;
    }
    bool read_fixed64_uint(std::uint64_t &v) noexcept { return fixed64(v); }
    bool read_fixed64_int(std::int64_t &v) noexcept {
        std::uint64_t x = 0;
        if (!fixed64(x)) {
            return false;
        }
        v = static_cast<std::int64_t>(x);
        return true;
    }
    bool read_fixed64_double(double &v) noexcept {
        std::uint64_t x = 0;
        if (!fixed64(x)) {
            return false;
        }
        std::memcpy(&v, &x, sizeof v);
        return true;
    }
    bool read_fixed32_uint(std::uint32_t &v) noexcept { return fixed32(v); }
    bool read_fixed32_int(std::int32_t &v) noexcept {
        std::uint32_t x = 0;
        if (!fixed32(x)) {
            return false;
        }
        v = static_cast<std::int32_t>(x);
        return true;
    }
    bool read_fixed32_float(float &v) noexcept {
        std::uint32_t x = 0;
        if (!fixed32(x)) {
            return false;
        }
        std::memcpy(&v, &x, sizeof v);
        return true;
    }
    /// Reads a length-delimited string or bytes field (not checked for UTF-8).
    bool read_string(std::string &v) {
        std::size_t len = 0;
        if (!length(len)) {
            return false;
        }
        v.assign(reinterpret_cast<const char *>(data_ + pos_), len);
        pos_ += len;
        return true;
    }
    /// Reads a nested message, merging into `m`.
    template <typename M>
    bool message(M &m) {
        std::size_t len = 0;
        if (!length(len) || depth_ >= 64) {
            return false;
        }
        Reader inner(data_ + pos_, len);
        inner.depth_ = depth_ + 1;
        pos_ += len;
        return m.decode_from(inner);
    }

    /// Reads one element (wire type `type` = the scalar's own) or a packed run (wire type 2) of
    /// a repeated scalar; sets `known` when the wire type fits.
    template <typename T, typename F>
    bool repeated(std::uint32_t type, std::uint32_t scalar_type, std::vector<T> &items, bool &known,
                  F read_one) {
        if (type == scalar_type) {
            T v{};
            if (!read_one(*this, v)) {
                return false;
            }
            items.push_back(v);
            known = true;
            return true;
        }
        if (type != kLengthDelimited) {
            return true;  // kept as an unknown field
        }
        std::size_t len = 0;
        if (!length(len)) {
            return false;
        }
        Reader inner(data_ + pos_, len);
        pos_ += len;
        while (!inner.at_end()) {
            T v{};
            if (!read_one(inner, v)) {
                return false;
            }
            items.push_back(v);
        }
        known = true;
        return true;
    }
    template <typename E>
    bool repeated_enum(std::uint32_t type, std::vector<E> &items, bool &known) {
        return repeated(type, kVarint, items, known, [](Reader &r, E &v) { return r.read_enum(v); });
    }
#define HAPTIX_WIRE_REPEATED(NAME, T, WT)                                                         \
    bool repeated_##NAME(std::uint32_t type, std::vector<T> &items, bool &known) {                \
        return repeated(type, WT, items, known, [](Reader &r, T &v) { return r.read_##NAME(v); }); \
    }
    HAPTIX_WIRE_REPEATED(varint_uint64, std::uint64_t, kVarint)
    HAPTIX_WIRE_REPEATED(varint_uint32, std::uint32_t, kVarint)
    HAPTIX_WIRE_REPEATED(varint_int64, std::int64_t, kVarint)
    HAPTIX_WIRE_REPEATED(varint_int32, std::int32_t, kVarint)
    HAPTIX_WIRE_REPEATED(varint_sint64, std::int64_t, kVarint)
    HAPTIX_WIRE_REPEATED(varint_sint32, std::int32_t, kVarint)
    HAPTIX_WIRE_REPEATED(fixed64_uint, std::uint64_t, kFixed64)
    HAPTIX_WIRE_REPEATED(fixed64_int, std::int64_t, kFixed64)
    HAPTIX_WIRE_REPEATED(fixed64_double, double, kFixed64)
    HAPTIX_WIRE_REPEATED(fixed32_uint, std::uint32_t, kFixed32)
    HAPTIX_WIRE_REPEATED(fixed32_int, std::int32_t, kFixed32)
    HAPTIX_WIRE_REPEATED(fixed32_float, float, kFixed32)
#undef HAPTIX_WIRE_REPEATED
    bool repeated_varint_bool(std::uint32_t type, std::vector<bool> &items, bool &known) {
        // std::vector<bool> has no bool& elements: read into a plain bool.
        return repeated(type, kVarint, items, known, [](Reader &r, bool &v) { return r.read_varint_bool(v); });
    }

    /// Skips the value of a field with key (number, type); groups are skipped whole.
    bool skip(std::uint32_t number, std::uint32_t type) noexcept {
        switch (type) {
        case kVarint: {
            std::uint64_t v = 0;
            return varint(v);
        }
        case kFixed64:
            if (end_ - pos_ < 8) {
                return false;
            }
            pos_ += 8;
            return true;
        case kFixed32:
            if (end_ - pos_ < 4) {
                return false;
            }
            pos_ += 4;
            return true;
        case kLengthDelimited: {
            std::size_t len = 0;
            if (!length(len)) {
                return false;
            }
            pos_ += len;
            return true;
        }
        case kStartGroup: {
            if (depth_ >= 64) {
                return false;
            }
            ++depth_;
            for (;;) {
                std::uint32_t n = 0;
                std::uint32_t t = 0;
                if (!tag(n, t)) {
                    return false;
                }
                if (t == kEndGroup) {
                    --depth_;
                    return n == number;
                }
                if (!skip(n, t)) {
                    return false;
                }
            }
        }
        default:
            return false;  // an end-group without its start, or a reserved wire type
        }
    }

private:
    const std::uint8_t *data_;
    std::size_t pos_;
    std::size_t end_;
    unsigned depth_;
};

}  // namespace wire
}  // namespace haptix

#endif  // HAPTIX_WIRE_HPP
