// The generated codec against libprotobuf (test-only dependency), for every message of the
// schema: random messages filled through protobuf reflection are encoded by libprotobuf and
// decoded by the codec (nothing left unknown, the same bytes written back), and the codec's
// bytes parse in libprotobuf to an equal message. Unknown fields, top-level and nested,
// survive a round trip through the codec.
//
// protoc compiles a copy of proto/ whose package is haptix_pb.v1 (CMake writes it), so that the
// generated classes do not collide with the codec's haptix::v1 structs; the wire format does
// not depend on the package name.
#include <cstdint>
#include <random>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "haptix.hpp"
#include "haptix/v1/device.pb.h"
#include "haptix/v1/event.pb.h"
#include "haptix/v1/options.pb.h"
#include "haptix/v1/request.pb.h"

namespace pb = google::protobuf;

namespace {

using Rng = std::mt19937_64;

std::int64_t pick_int(Rng &rng) {
    switch (rng() % 6) {
    case 0:
        return 0;
    case 1:
        return -1;
    case 2:
        return static_cast<std::int64_t>(rng() % 300);
    case 3:
        return -static_cast<std::int64_t>(rng() % 100000);
    case 4:
        return static_cast<std::int64_t>(rng());
    default:
        return INT64_MIN + static_cast<std::int64_t>(rng() % 3);
    }
}

std::string pick_string(Rng &rng, bool binary) {
    std::string s(rng() % (rng() % 8 == 0 ? 400 : 12), ' ');
    for (char &c : s) {
        c = binary ? static_cast<char>(rng() % 256) : static_cast<char>('a' + rng() % 26);
    }
    return s;
}

void fill(pb::Message *message, Rng &rng, int depth);

void set_one(pb::Message *message, const pb::FieldDescriptor *f, Rng &rng, int depth) {
    const pb::Reflection *r = message->GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
        const auto v = static_cast<std::int32_t>(pick_int(rng));
        rep ? r->AddInt32(message, f, v) : r->SetInt32(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
        const std::int64_t v = pick_int(rng);
        rep ? r->AddInt64(message, f, v) : r->SetInt64(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
        const auto v = static_cast<std::uint32_t>(pick_int(rng));
        rep ? r->AddUInt32(message, f, v) : r->SetUInt32(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
        const auto v = static_cast<std::uint64_t>(pick_int(rng));
        rep ? r->AddUInt64(message, f, v) : r->SetUInt64(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
        const double choices[] = {0.0, -0.0, 0.5, 1.0, -1.0, 1e300, static_cast<double>(rng() % 1000) / 7.0};
        const double v = choices[rng() % 7];
        rep ? r->AddDouble(message, f, v) : r->SetDouble(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
        const auto v = static_cast<float>(rng() % 1000) / 3.0f;
        rep ? r->AddFloat(message, f, v) : r->SetFloat(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
        const bool v = rng() % 2 == 0;
        rep ? r->AddBool(message, f, v) : r->SetBool(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
        // Named values mostly, sometimes a number the schema does not name (open enums).
        const pb::EnumDescriptor *e = f->enum_type();
        const int v = rng() % 5 == 0 ? static_cast<int>(rng() % 1000) - 500
                                     : e->value(static_cast<int>(rng() % static_cast<std::uint64_t>(e->value_count())))->number();
        rep ? r->AddEnumValue(message, f, v) : r->SetEnumValue(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
        const std::string v = pick_string(rng, f->type() == pb::FieldDescriptor::TYPE_BYTES);
        rep ? r->AddString(message, f, v) : r->SetString(message, f, v);
        break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        pb::Message *child = rep ? r->AddMessage(message, f) : r->MutableMessage(message, f);
        fill(child, rng, depth + 1);
        break;
    }
    }
}

void fill(pb::Message *message, Rng &rng, int depth) {
    const pb::Descriptor *d = message->GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) {
        const pb::FieldDescriptor *f = d->field(i);
        const pb::OneofDescriptor *oneof = f->real_containing_oneof();
        if (oneof != nullptr) {
            continue;  // below
        }
        if (rng() % 3 == 0) {
            continue;  // left unset
        }
        if (f->is_repeated()) {
            const std::uint64_t n = depth > 3 ? 0 : rng() % 4;
            for (std::uint64_t k = 0; k < n; ++k) {
                set_one(message, f, rng, depth);
            }
        } else if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || depth < 4) {
            set_one(message, f, rng, depth);
        }
    }
    for (int i = 0; i < d->real_oneof_decl_count(); ++i) {
        const pb::OneofDescriptor *oneof = d->oneof_decl(i);
        const auto choice = static_cast<int>(rng() % static_cast<std::uint64_t>(oneof->field_count() + 1));
        if (choice < oneof->field_count() && depth < 4) {
            set_one(message, oneof->field(choice), rng, depth);
        }
    }
}

/// Adds one unknown field of every wire type to `message` and to every message it contains.
void add_unknown(pb::Message *message, Rng &rng) {
    pb::UnknownFieldSet *unknown = message->GetReflection()->MutableUnknownFields(message);
    const int base = 1000 + static_cast<int>(rng() % 100);
    unknown->AddVarint(base, rng());
    unknown->AddFixed32(base + 1, static_cast<std::uint32_t>(rng()));
    unknown->AddFixed64(base + 2, rng());
    unknown->AddLengthDelimited(base + 3, pick_string(rng, true));
    unknown->AddGroup(base + 4)->AddVarint(1, 7);
    std::vector<const pb::FieldDescriptor *> fields;
    message->GetReflection()->ListFields(*message, &fields);
    for (const pb::FieldDescriptor *f : fields) {
        if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
            continue;
        }
        if (f->is_repeated()) {
            for (int k = 0; k < message->GetReflection()->FieldSize(*message, f); ++k) {
                add_unknown(message->GetReflection()->MutableRepeatedMessage(message, f, k), rng);
            }
        } else {
            add_unknown(message->GetReflection()->MutableMessage(message, f), rng);
        }
    }
}

std::string serialize(const pb::Message &message) {
    std::string out;
    EXPECT_TRUE(message.SerializeToString(&out));
    return out;
}

template <typename Mine, typename Pb>
void check_both_directions(std::uint64_t seed) {
    Rng rng(seed);
    int non_empty = 0;
    for (int i = 0; i < 300; ++i) {
        Pb original;
        fill(&original, rng, 0);
        const std::string bytes = serialize(original);
        non_empty += bytes.empty() ? 0 : 1;

        // libprotobuf -> codec: every field known, the same bytes written back.
        Mine mine;
        ASSERT_TRUE(mine.decode(bytes)) << original.DebugString();
        EXPECT_FALSE(mine.has_unknown_fields()) << original.DebugString();
        const std::string encoded = mine.encode();
        ASSERT_EQ(encoded, bytes) << original.DebugString();

        // codec -> libprotobuf: an equal message, nothing unknown to libprotobuf.
        Pb parsed;
        ASSERT_TRUE(parsed.ParseFromString(encoded));
        EXPECT_TRUE(pb::util::MessageDifferencer::Equals(parsed, original))
            << parsed.DebugString() << "\nversus\n" << original.DebugString();

        // Unknown fields at every level survive the codec.
        Pb with_unknown = original;
        add_unknown(&with_unknown, rng);
        const std::string unknown_bytes = serialize(with_unknown);
        Mine kept;
        ASSERT_TRUE(kept.decode(unknown_bytes));
        EXPECT_TRUE(kept.has_unknown_fields());
        ASSERT_EQ(kept.encode(), unknown_bytes) << with_unknown.DebugString();
    }
    const pb::Descriptor *d = Pb::descriptor();
    if (d->field_count() > 0) {
        EXPECT_GT(non_empty, 0);
    }
}

}  // namespace

#define HAPTIX_CODEC_TEST(Name)                                                        \
    TEST(CodecAgainstProtobuf, Name) {                                                 \
        check_both_directions<haptix::v1::Name, haptix_pb::v1::Name>(std::hash<std::string>()(#Name)); \
    }
HAPTIX_V1_FOR_EACH_MESSAGE(HAPTIX_CODEC_TEST)
#undef HAPTIX_CODEC_TEST

TEST(CodecAgainstProtobuf, CoversEveryMessageOfTheSchema) {
    // The X-macro lists what the generator saw; libprotobuf's pool knows what protoc saw.
    int mine = 0;
#define HAPTIX_COUNT(Name) ++mine;
    HAPTIX_V1_FOR_EACH_MESSAGE(HAPTIX_COUNT)
#undef HAPTIX_COUNT
    int theirs = 0;
    for (const pb::FileDescriptor *file :
         {haptix_pb::v1::Device::descriptor()->file(), haptix_pb::v1::Event::descriptor()->file(),
          haptix_pb::v1::ContextOptions::descriptor()->file(), haptix_pb::v1::Request::descriptor()->file()}) {
        theirs += file->message_type_count();
    }
    EXPECT_EQ(mine, theirs);
}
