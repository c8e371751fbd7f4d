// The generated codec on hand-written bytes: exact encodings, presence, unknown fields,
// malformed input. (test_codec_protobuf.cpp checks every message against libprotobuf.)
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "haptix.hpp"

namespace v1 = haptix::v1;

namespace {
std::string hex(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        if (!out.empty()) {
            out += ' ';
        }
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}
std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) {
        s.push_back(static_cast<char>(b));
    }
    return s;
}
}  // namespace

TEST(Wire, VibrateRequestHasTheExactProtobufBytes) {
    // Request{output{device_index 1, output_type VIBRATE, level 0.5}}: field 13 (0x6a), 13 bytes.
    EXPECT_EQ(hex(haptix::request::vibrate(1, 0.5).encode()),
              "6a 0d 08 01 18 01 21 00 00 00 00 00 00 e0 3f");
    // An explicit feature index of 0 is present (optional field) and so written.
    EXPECT_EQ(hex(haptix::request::vibrate(1, 0.5, 0u).encode()),
              "6a 0f 08 01 10 00 18 01 21 00 00 00 00 00 00 e0 3f");
    // A oneof member equal to its default is still written.
    EXPECT_EQ(hex(haptix::request::output_steps(0, v1::OutputType::kVibrate, 0).encode()),
              "6a 04 18 01 28 00");
}

TEST(Wire, OptionalBoolsArePresentEvenWhenFalse) {
    EXPECT_EQ(hex(haptix::request::stop_all(false, true).encode()), "82 01 04 08 00 10 01");
    v1::Request empty_stop;
    empty_stop.kind_case = v1::Request::KindCase::kStopAll;
    EXPECT_EQ(hex(empty_stop.encode()), "82 01 00");
    v1::Request decoded;
    ASSERT_TRUE(decoded.decode(empty_stop.encode()));
    EXPECT_EQ(decoded.kind_case, v1::Request::KindCase::kStopAll);
    EXPECT_FALSE(decoded.stop_all.inputs.has_value());
}

TEST(Wire, NegativeInt32IsTenBytesAndComesBack) {
    v1::Range range;
    range.min = -1;
    range.max = 20;
    EXPECT_EQ(hex(range.encode()), "08 ff ff ff ff ff ff ff ff ff 01 10 14");
    v1::Range back;
    ASSERT_TRUE(back.decode(range.encode()));
    EXPECT_EQ(back.min, -1);
    EXPECT_EQ(back.max, 20);
}

TEST(Wire, LongNestedMessagesGetAWideLength) {
    v1::Event event;
    event.kind_case = v1::Event::KindCase::kDeviceAdded;
    event.device_added.device.emplace();
    event.device_added.device->name = std::string(300, 'x');
    event.device_added.device->index = 3;
    const std::string encoded = event.encode();
    // Event field 13, 308 bytes (b4 02); DeviceAdded field 1, 305 bytes (b1 02); index 3; the
    // 300-byte name (field 2, 12 ac 02) follows.
    EXPECT_EQ(hex(encoded.substr(0, 11)), "6a b4 02 0a b1 02 08 03 12 ac 02");
    v1::Event back;
    ASSERT_TRUE(back.decode(encoded));
    ASSERT_EQ(back.kind_case, v1::Event::KindCase::kDeviceAdded);
    ASSERT_TRUE(back.device_added.device.has_value());
    EXPECT_EQ(back.device_added.device->name, std::string(300, 'x'));
    EXPECT_EQ(back.device_added.device->index, 3u);
}

TEST(Wire, UnknownFieldsAreKeptAndWrittenBack) {
    // Ping request plus: field 99 varint 5, field 100 fixed32, field 101 bytes "ab",
    // field 102 fixed64, field 103 a group holding a varint.
    const std::string unknown = bytes({0x98, 0x06, 0x05, 0xa5, 0x06, 1, 2, 3, 4, 0xaa, 0x06, 0x02, 'a', 'b',
                                       0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xbb, 0x06, 0x08, 0x01, 0xbc, 0x06});
    const std::string input = bytes({0x8a, 0x01, 0x00}) + unknown;
    v1::Request request;
    ASSERT_TRUE(request.decode(input));
    EXPECT_EQ(request.kind_case, v1::Request::KindCase::kPing);
    EXPECT_EQ(request.unknown_fields, unknown);
    EXPECT_EQ(request.encode(), input);
}

TEST(Wire, AFieldWithAnUnexpectedWireTypeIsKeptAsUnknown) {
    // Range.min (field 1) sent as fixed32: not a varint, so it stays unknown, as in protobuf.
    const std::string input = bytes({0x0d, 1, 0, 0, 0, 0x10, 0x02});
    v1::Range range;
    ASSERT_TRUE(range.decode(input));
    EXPECT_EQ(range.min, 0);
    EXPECT_EQ(range.max, 2);
    EXPECT_EQ(range.unknown_fields, input.substr(0, 5));
}

TEST(Wire, RepeatedScalarsArePackedAndReadEitherWay) {
    v1::FeatureInput input;
    input.commands = {v1::InputCommand::kRead, v1::InputCommand::kSubscribe};
    EXPECT_EQ(hex(input.encode()), "1a 02 01 02");
    v1::FeatureInput unpacked;
    ASSERT_TRUE(unpacked.decode(bytes({0x18, 0x01, 0x18, 0x02, 0x1a, 0x01, 0x03})));
    ASSERT_EQ(unpacked.commands.size(), 3u);
    EXPECT_EQ(unpacked.commands[0], v1::InputCommand::kRead);
    EXPECT_EQ(unpacked.commands[2], v1::InputCommand::kUnsubscribe);
}

TEST(Wire, UnnamedEnumValuesAreKeptAsNumbers) {
    v1::Request request = haptix::request::output(0, static_cast<v1::OutputType>(77), 1.0);
    v1::Request back;
    ASSERT_TRUE(back.decode(request.encode()));
    EXPECT_EQ(static_cast<int>(back.output.output_type), 77);
}

TEST(Wire, EnumValuesHaveTheirSchemaNames) {
    EXPECT_STREQ(v1::name(v1::OutputType::kVibrate), "OUTPUT_TYPE_VIBRATE");
    EXPECT_STREQ(v1::name(v1::InputType::kBattery), "INPUT_TYPE_BATTERY");
    EXPECT_STREQ(v1::name(v1::LogLevel::kTrace), "LOG_LEVEL_TRACE");
    EXPECT_STREQ(v1::name(static_cast<v1::OutputType>(77)), "");
}

TEST(Wire, TheLastOneofMemberWins) {
    // Response with reading (field 11) then writes (field 13).
    v1::Response response;
    ASSERT_TRUE(response.decode(bytes({0x5a, 0x02, 0x20, 0x07, 0x6a, 0x00})));
    EXPECT_EQ(response.result_case, v1::Response::ResultCase::kWrites);
}

TEST(Wire, MalformedInputIsRefusedWithoutReadingPastTheEnd) {
    v1::Event event;
    const std::string cases[] = {
        bytes({0x08}),                                                        // truncated varint
        bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),  // 11-byte varint
        bytes({0x52, 0x05, 0x08}),                                            // length past the end
        bytes({0x0c}),                                                        // end group alone
        bytes({0x0b, 0x14}),                                                  // group 1 closed as 2
        bytes({0x0b}),                                                        // group never closed
        bytes({0x00, 0x01}),                                                  // field number 0
        bytes({0x0e}),                                                        // wire type 6
        bytes({0x09, 1, 2, 3}),                                               // truncated fixed64
        bytes({0x6a, 0x03, 0x2a, 0x05, 0x00}),                                // nested length too long
    };
    for (const std::string &input : cases) {
        EXPECT_FALSE(event.decode(input)) << hex(input);
    }
    EXPECT_TRUE(event.decode(nullptr, 0));
    EXPECT_TRUE(event.decode(std::string()));
}

TEST(Wire, NestingDeeperThan64LevelsIsRefused) {
    // 100 nested unknown groups: refused by the depth limit instead of exhausting the stack.
    std::string deep;
    for (int i = 0; i < 100; ++i) {
        deep += bytes({0xbb, 0x06});
    }
    for (int i = 0; i < 100; ++i) {
        deep += bytes({0xbc, 0x06});
    }
    v1::Request request;
    EXPECT_FALSE(request.decode(deep));
    // 20 levels are fine.
    std::string shallow;
    for (int i = 0; i < 20; ++i) {
        shallow += bytes({0xbb, 0x06});
    }
    for (int i = 0; i < 20; ++i) {
        shallow += bytes({0xbc, 0x06});
    }
    EXPECT_TRUE(request.decode(shallow));
    EXPECT_EQ(request.encode(), shallow);
}
