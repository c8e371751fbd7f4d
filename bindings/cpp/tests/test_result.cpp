// Result, Error and status names; bad input gives a clear error, never a crash.
#include <cstdint>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "haptix.hpp"
#include "support.hpp"

using haptix::Error;
using haptix::Result;

TEST(Result, HoldsAValueOrAnError) {
    Result<int> good(7);
    ASSERT_TRUE(good.ok());
    EXPECT_TRUE(static_cast<bool>(good));
    EXPECT_EQ(*good, 7);
    EXPECT_EQ(good.status(), HAPTIX_STATUS_OK);
    EXPECT_EQ(good.value_or(3), 7);

    Result<int> bad(Error{HAPTIX_STATUS_ERROR_TIMED_OUT, "slow"});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status(), HAPTIX_STATUS_ERROR_TIMED_OUT);
    EXPECT_EQ(bad.error().message, "slow");
    EXPECT_EQ(bad.error().describe(), "HAPTIX_STATUS_ERROR_TIMED_OUT: slow");
    EXPECT_EQ(bad.value_or(3), 3);

    Result<void> done;
    EXPECT_TRUE(done.ok());
    Result<void> failed(Error{HAPTIX_STATUS_CLOSED, "gone"});
    EXPECT_FALSE(failed.ok());
    EXPECT_EQ(failed.status(), HAPTIX_STATUS_CLOSED);
}

TEST(Result, HoldsMoveOnlyValues) {
    Result<haptix::Client> empty{haptix::Client()};
    ASSERT_TRUE(empty.ok());
    haptix::Client taken = std::move(empty).value();
    EXPECT_FALSE(static_cast<bool>(taken));
}

TEST(Result, BuildsItsValueInPlaceOrFromACopy) {
    Result<std::string> built(std::in_place, 3, 'x');
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(*built, "xxx");
    const std::string kept = "kept";
    Result<std::string> copied(kept);
    EXPECT_EQ(*copied, "kept");
    EXPECT_EQ(kept, "kept");
    // A success turned into a failure by assignment (as Client::call does in place).
    built = Error{HAPTIX_STATUS_ERROR_PROTOCOL, "no"};
    EXPECT_FALSE(built.ok());
    EXPECT_EQ(built.status(), HAPTIX_STATUS_ERROR_PROTOCOL);
}

// What Client::call makes of the answer of haptix_client_call.
TEST(Result, AResponseEventBecomesAResultOfItsResponse) {
    const auto result_of = [](const haptix::v1::Event &event) {
        const std::string bytes = event.encode();
        return haptix::detail::response_result(reinterpret_cast<const std::uint8_t *>(bytes.data()),
                                               bytes.size());
    };
    haptix::v1::Event event;
    event.request_id = 9;
    event.kind_case = haptix::v1::Event::KindCase::kResponse;
    event.response.result_case = haptix::v1::Response::ResultCase::kReading;
    event.response.reading.value = 85;
    auto good = result_of(event);
    ASSERT_TRUE(good.ok()) << good.error().describe();
    EXPECT_EQ(good->reading.value, 85);

    event.response.status = HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND;
    event.response.message = "no device 9";
    auto refused = result_of(event);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status(), HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND);
    EXPECT_EQ(refused.error().message, "no device 9");

    haptix::v1::Event other;
    other.kind_case = haptix::v1::Event::KindCase::kScanningFinished;  // not a response
    EXPECT_EQ(result_of(other).status(), HAPTIX_STATUS_ERROR_INVALID_PROTOBUF);
    const std::uint8_t garbage[] = {0x52, 0x05, 0x08};
    EXPECT_EQ(haptix::detail::response_result(garbage, sizeof garbage).status(), HAPTIX_STATUS_ERROR_INVALID_PROTOBUF);
}

TEST(ResultDeathTest, ValueOfAFailureEndsTheProcessWithTheError) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    Result<int> bad(Error{HAPTIX_STATUS_ERROR_DEVICE, "toy broke"});
    EXPECT_DEATH((void)bad.value(), "called on a failure.*ERROR_DEVICE: toy broke");
}

TEST(Status, NamesEveryStatusAndFlagsUnknownOnes) {
    EXPECT_STREQ(haptix::status_name(HAPTIX_STATUS_OK), "HAPTIX_STATUS_OK");
    EXPECT_STREQ(haptix::status_name(HAPTIX_STATUS_ERROR_WOULD_DEADLOCK),
                 "HAPTIX_STATUS_ERROR_WOULD_DEADLOCK");
    EXPECT_STREQ(haptix::status_name(HAPTIX_STATUS_ERROR_INTERNAL), "HAPTIX_STATUS_ERROR_INTERNAL");
    EXPECT_STREQ(haptix::status_name(static_cast<haptix::Status>(12345)), "HAPTIX_STATUS_UNKNOWN");
}

TEST(Errors, LibraryVersionAndAbi) {
    EXPECT_NE(std::string(haptix::library_version()), "");
    EXPECT_EQ(haptix_abi_version(), static_cast<std::uint32_t>(HAPTIX_ABI_VERSION));
}

TEST(Errors, ABadDeviceConfigIsRefusedWithAMessage) {
    auto context = haptix::Context::create(haptix::ContextOptions().device_config_json("{not json"));
    ASSERT_FALSE(context.ok());
    EXPECT_EQ(context.status(), HAPTIX_STATUS_ERROR_INVALID_CONFIG);
    EXPECT_FALSE(context.error().message.empty());

    auto missing = haptix::Context::create(
        haptix::ContextOptions().device_config_file("/nonexistent/haptix-devices.json"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status(), HAPTIX_STATUS_ERROR_INVALID_CONFIG);
}

TEST(Errors, ABadSimulatedDeviceIsRefused) {
    auto context = haptix::Context::create(haptix::ContextOptions().simulated_device(""));
    ASSERT_FALSE(context.ok());
    EXPECT_EQ(context.status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    EXPECT_FALSE(context.error().message.empty());
}

TEST(Errors, AUrlThatIsNotWebSocketIsRefused) {
    auto context = haptix::Context::create();
    ASSERT_TRUE(context.ok()) << context.error().describe();
    auto client = haptix::Client::connect(*context, "http://127.0.0.1:1");
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(client.error().message.find("ws"), std::string::npos) << client.error().message;
}

TEST(Errors, EmptyOwnersFailWithNullPointer) {
    haptix::Client client;
    EXPECT_EQ(client.ping().status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_EQ(client.call(haptix::request::ping()).status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_EQ(client.next_event(0).status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_EQ(client.on_event([](const haptix::v1::Event &) {}).status(),
              HAPTIX_STATUS_ERROR_NULL_POINTER);
    haptix::Context context;
    EXPECT_EQ(context.shutdown().status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_EQ(context.next_event(0).status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    EXPECT_EQ(haptix::Client::connect_embedded(context).status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    haptix::Server server;
    EXPECT_EQ(server.port().status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
}

TEST(Errors, ARequestWithoutAKindIsRefused) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto sent = session->client.send(haptix::v1::Request());
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    auto called = session->client.call(haptix::v1::Request());
    EXPECT_EQ(called.status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
}

TEST(Errors, ARefusedRequestCarriesTheServersStatusAndMessage) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto r = session->client.call(haptix::request::vibrate(99, 0.5));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status(), HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND);
    EXPECT_NE(r.error().message.find("99"), std::string::npos) << r.error().message;
}
