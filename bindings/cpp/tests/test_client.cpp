// The client against the embedded server and a ws:// server: connect, scan, every output type's
// exact bytes on simulated toys, battery and inputs, responses as events, handlers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "haptix.hpp"
#include "support.hpp"

namespace v1 = haptix::v1;
using haptix_test::describe;
using haptix_test::kHush;
using Kind = v1::Event::KindCase;

TEST(Client, EmbeddedConnectAnnouncesTheServer) {
    auto session = haptix_test::open_session(haptix_test::hush_options().server_name("C++ test server"));
    ASSERT_TRUE(session);
    auto connected = haptix_test::wait_for(session->client, Kind::kConnected);
    ASSERT_TRUE(connected);
    EXPECT_EQ(connected->connected.server_name, "C++ test server");
    EXPECT_GE(connected->connected.spec_version, 3u);
    EXPECT_EQ(connected->request_id, 0u);
}

TEST(Client, ScanFindsTheSimulatedToyWithTypedFeatures) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    EXPECT_EQ(device->name(), "Lovense Hush");
    EXPECT_EQ(device->label(), "Lovense Hush");
    EXPECT_EQ(device->address(), kHush);
    EXPECT_TRUE(device->has_output(v1::OutputType::kVibrate));
    EXPECT_FALSE(device->has_output(v1::OutputType::kRotate));
    ASSERT_NE(device->output(v1::OutputType::kVibrate), nullptr);
    ASSERT_TRUE(device->output(v1::OutputType::kVibrate)->value.has_value());
    EXPECT_EQ(device->output(v1::OutputType::kVibrate)->value->max, 20);
    EXPECT_TRUE(device->has_input(v1::InputType::kBattery));
    EXPECT_EQ(device->features_with_output(v1::OutputType::kVibrate).size(), 1u);
    EXPECT_EQ(device->features_with_input(v1::InputType::kBattery).size(), 1u);

    auto listed = session->client.device_list();
    ASSERT_TRUE(listed.ok()) << describe(listed.error());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].index(), device->index());
    EXPECT_EQ((*listed)[0].name(), "Lovense Hush");
    EXPECT_TRUE(session->client.stop_scanning().ok());
}

// One simulated toy, one request, the exact bytes it must receive. Every output type with a
// protocol that writes it (LED and spray are in the database only for JoyHub toys, whose
// protocol refuses them).
struct OutputCase {
    const char *name;
    const char *identifier;
    v1::Request (*build)(std::uint32_t device);
    std::string expected;
};

class OutputBytes : public ::testing::TestWithParam<OutputCase> {};

TEST_P(OutputBytes, TheToyReceivesTheExactBytes) {
    const OutputCase &c = GetParam();
    auto session = haptix_test::open_session(haptix::ContextOptions().simulated_device(c.identifier, "toy"));
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    auto handshake = session->client.take_writes("toy");  // identification, if any
    ASSERT_TRUE(handshake.ok()) << describe(handshake.error());
    auto response = session->client.call(c.build(device->index()));
    ASSERT_TRUE(response.ok()) << describe(response.error());
    EXPECT_EQ(response->status, 0);
    const std::vector<std::string> writes = haptix_test::next_writes(session->client, "toy");
    ASSERT_FALSE(writes.empty()) << "the toy received nothing";
    EXPECT_EQ(writes[0], c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Simulated, OutputBytes,
    ::testing::Values(
        OutputCase{"vibrate", "LVS-Hush", [](std::uint32_t d) { return haptix::request::vibrate(d, 0.5); },
                   "tx:Vibrate:10;"},
        OutputCase{"vibrate_feature", "LVS-Hush",
                   [](std::uint32_t d) { return haptix::request::vibrate(d, 1.0, 0u); }, "tx:Vibrate:20;"},
        OutputCase{"generic_output_steps", "LVS-Hush",
                   [](std::uint32_t d) { return haptix::request::output_steps(d, v1::OutputType::kVibrate, 7); },
                   "tx:Vibrate:7;"},
        OutputCase{"generic_output_level", "LVS-Hush",
                   [](std::uint32_t d) { return haptix::request::output(d, v1::OutputType::kVibrate, 0.25); },
                   "tx:Vibrate:5;"},
        OutputCase{"rotate", "LVS-Nora", [](std::uint32_t d) { return haptix::request::rotate(d, 0.5); },
                   "tx:Rotate:10;"},
        OutputCase{"oscillate", "LVS-SolacePro",
                   [](std::uint32_t d) { return haptix::request::oscillate(d, 0.5); }, "tx:Mply:10:20;"},
        OutputCase{"position_with_duration", "Launch",
                   [](std::uint32_t d) { return haptix::request::position(d, 0.5, 500); },
                   std::string("tx:") + std::string("\x32\x13", 2)},
        OutputCase{"constrict", "LVS-Max",
                   [](std::uint32_t d) { return haptix::request::output(d, v1::OutputType::kConstrict, 0.5); },
                   "tx:Air:Level:2;"},
        OutputCase{"temperature", "UMMiB1",
                   [](std::uint32_t d) { return haptix::request::output(d, v1::OutputType::kTemperature, 0.5); },
                   std::string("tx:") + std::string("\x5a\xa5\x55\x06\xff\xff\x00\x00\xff\xff\xff\xff\x15\xff", 14)},
        OutputCase{"position", "UMMiB1",
                   [](std::uint32_t d) { return haptix::request::output(d, v1::OutputType::kPosition, 0.5); },
                   std::string("tx:") +
                       std::string("\x5a\xa5\x55\x00\x00\x00\x01\x00\x00\x00\x00\x00\x3c\x01\x00\x00", 16)}),
    [](const ::testing::TestParamInfo<OutputCase> &param) { return std::string(param.param.name); });

TEST(Client, StopAndStopAllSilenceTheToy) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    (void)haptix_test::next_writes(session->client, kHush);  // identification
    ASSERT_TRUE(session->client.call(haptix::request::vibrate(device->index(), 0.5)).ok());
    EXPECT_EQ(haptix_test::next_writes(session->client, kHush)[0], "tx:Vibrate:10;");
    ASSERT_TRUE(session->client.call(haptix::request::stop_device(device->index())).ok());
    EXPECT_EQ(haptix_test::next_writes(session->client, kHush)[0], "tx:Vibrate:0;");
    ASSERT_TRUE(session->client.call(haptix::request::vibrate(device->index(), 0.25)).ok());
    EXPECT_EQ(haptix_test::next_writes(session->client, kHush)[0], "tx:Vibrate:5;");
    ASSERT_TRUE(session->client.call(haptix::request::stop_all()).ok());
    EXPECT_EQ(haptix_test::next_writes(session->client, kHush)[0], "tx:Vibrate:0;");
}

TEST(Client, ACommandsResponseArrivesAsAnEventWithItsId) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    auto ok_id = session->client.vibrate(device->index(), 0.5);
    ASSERT_TRUE(ok_id.ok()) << describe(ok_id.error());
    auto bad_id = session->client.vibrate(42, 0.5);
    ASSERT_TRUE(bad_id.ok()) << describe(bad_id.error());
    EXPECT_NE(*ok_id, *bad_id);
    int seen = 0;
    while (seen < 2) {
        auto response = haptix_test::wait_for(session->client, Kind::kResponse);
        ASSERT_TRUE(response);
        if (response->request_id == *ok_id) {
            EXPECT_EQ(response->response.status, 0);
            ++seen;
        } else if (response->request_id == *bad_id) {
            EXPECT_EQ(response->response.status, HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND);
            EXPECT_FALSE(response->response.message.empty());
            ++seen;
        }
    }
}

TEST(Client, BatteryIsReadFromTheToy) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    auto battery = session->client.battery(device->index());
    ASSERT_TRUE(battery.ok()) << describe(battery.error());
    EXPECT_EQ(*battery, 85);
    const auto battery_features = device->features_with_input(v1::InputType::kBattery);
    ASSERT_EQ(battery_features.size(), 1u);
    auto by_feature = session->client.read_input(device->index(), v1::InputType::kBattery,
                                                 battery_features[0]->index);
    ASSERT_TRUE(by_feature.ok()) << describe(by_feature.error());
    EXPECT_EQ(*by_feature, 85);
    EXPECT_TRUE(haptix_test::receives(session->client, kHush, "tx:Battery;"))
        << "the toy was not asked for its battery";
}

TEST(Client, InputReadingsArriveInResponses) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    auto id = session->client.send(haptix::request::battery(device->index()));
    ASSERT_TRUE(id.ok()) << describe(id.error());
    std::optional<v1::Event> response;
    while (!response || response->request_id != *id) {
        response = haptix_test::wait_for(session->client, Kind::kResponse);
        ASSERT_TRUE(response);
    }
    EXPECT_EQ(response->response.status, 0);
    ASSERT_EQ(response->response.result_case, v1::Response::ResultCase::kReading);
    EXPECT_EQ(response->response.reading.device_index, device->index());
    EXPECT_EQ(response->response.reading.input_type, v1::InputType::kBattery);
    EXPECT_EQ(response->response.reading.value, 85);
}

// A simulated KGoal Boost sends pressure notifications; subscribed, each becomes an
// input_reading event. Events of one device keep their order, so a reading of the value sent
// while unsubscribed would arrive before the one sent after subscribing again.
TEST(Client, AnInputSubscriptionDeliversReadingsAsEvents) {
    auto session = haptix_test::open_session(haptix::ContextOptions().simulated_device("Boost", "boost-1"));
    ASSERT_TRUE(session);
    haptix::Client &client = session->client;
    auto boost = haptix_test::find_device(client);
    ASSERT_TRUE(boost);
    EXPECT_EQ(boost->name(), "KGoal Boost");
    const auto pressure = boost->features_with_input(v1::InputType::kPressure);
    ASSERT_FALSE(pressure.empty());
    const std::uint32_t feature = pressure[0]->index;
    // The notification's fifth byte is the pressure.
    const auto notify = [&](char value) {
        return client.inject_notification("boost-1", "rxpressure", std::string("\x00\x01\x04\x00", 4) + value +
                                                                       std::string("\x01\x00", 2));
    };
    // The next input_reading event (others are skipped).
    const auto next_reading = [&]() -> std::optional<v1::InputReading> {
        auto event = haptix_test::wait_for(client, Kind::kInputReading);
        if (!event) {
            return std::nullopt;
        }
        return event->input_reading;
    };

    // Waits for the response event of request `id`; true when it succeeded.
    const auto acknowledged = [&](haptix::Result<haptix::RequestId> id) {
        if (!id) {
            ADD_FAILURE() << describe(id.error());
            return false;
        }
        std::optional<v1::Event> answer;
        while (!answer || answer->request_id != *id) {
            answer = haptix_test::wait_for(client, Kind::kResponse);
            if (!answer) {
                return false;
            }
        }
        EXPECT_EQ(answer->response.status, 0) << answer->response.message;
        return answer->response.status == 0;
    };

    // The command methods send the requests and return their ids.
    ASSERT_TRUE(acknowledged(client.subscribe(boost->index(), v1::InputType::kPressure, feature)));
    ASSERT_TRUE(notify(42).ok());
    auto reading = next_reading();
    ASSERT_TRUE(reading);
    EXPECT_EQ(reading->device_index, boost->index());
    EXPECT_EQ(reading->feature_index, feature);
    EXPECT_EQ(reading->input_type, v1::InputType::kPressure);
    EXPECT_EQ(reading->value, 42);

    ASSERT_TRUE(acknowledged(client.unsubscribe(boost->index(), v1::InputType::kPressure, feature)));
    ASSERT_TRUE(notify(43).ok());  // not subscribed: no reading
    auto again = client.call(haptix::request::subscribe(boost->index(), v1::InputType::kPressure, feature));
    ASSERT_TRUE(again.ok()) << describe(again.error());
    ASSERT_TRUE(notify(44).ok());
    reading = next_reading();
    ASSERT_TRUE(reading);
    EXPECT_EQ(reading->value, 44) << "a reading arrived while unsubscribed";
}

TEST(Client, UnsupportedInputsAreRefusedWithAReason) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    // The simulated toy reports no signal strength, and Lovense batteries cannot be subscribed.
    auto rssi = session->client.rssi(device->index());
    ASSERT_FALSE(rssi.ok());
    EXPECT_EQ(rssi.status(), HAPTIX_STATUS_ERROR_NOT_SUPPORTED);
    EXPECT_FALSE(rssi.error().message.empty());
    auto subscribed = session->client.call(haptix::request::subscribe(device->index(), v1::InputType::kBattery));
    ASSERT_FALSE(subscribed.ok());
    EXPECT_EQ(subscribed.status(), HAPTIX_STATUS_ERROR_NOT_SUPPORTED);
    // A device that does not exist.
    EXPECT_EQ(session->client.battery(77).status(), HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND);
}

TEST(Client, SimulatedDevicesComeAndGo) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto first = haptix_test::find_device(session->client);
    ASSERT_TRUE(first);
    auto address = session->client.add_simulated_device("LVS-Nora", "nora-1");
    ASSERT_TRUE(address.ok()) << describe(address.error());
    EXPECT_EQ(*address, "nora-1");
    auto second = haptix_test::wait_for(session->client, Kind::kDeviceAdded);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->device_added.device->name, "Lovense Nora");
    ASSERT_TRUE(session->client.inject_notification("nora-1", "rx", "OK;").ok());
    ASSERT_TRUE(session->client.remove_simulated_device("nora-1").ok());
    auto removed = haptix_test::wait_for(session->client, Kind::kDeviceRemoved);
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->device_removed.device_index, second->device_added.device->index);
    EXPECT_FALSE(session->client.inject_notification("no-such-toy", "rx", "x").ok());
}

TEST(Client, PingAndDisconnectEndTheStream) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    ASSERT_TRUE(session->client.call(haptix::request::ping()).ok());
    auto id = session->client.disconnect();
    ASSERT_TRUE(id.ok()) << describe(id.error());
    auto disconnected = haptix_test::wait_for(session->client, Kind::kDisconnected);
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->disconnected.status, 0);
    // Then the stream ends, and requests are refused.
    haptix::Status status = HAPTIX_STATUS_OK;
    for (int i = 0; i < 100 && status == HAPTIX_STATUS_OK; ++i) {
        status = session->client.next_event(100).status();
    }
    EXPECT_EQ(status, HAPTIX_STATUS_CLOSED);
    EXPECT_EQ(session->client.ping().status(), HAPTIX_STATUS_CLOSED);
    EXPECT_EQ(session->client.call(haptix::request::ping()).status(), HAPTIX_STATUS_CLOSED);
}

// A server on one context, a ws:// client on another.
TEST(Client, WebSocketConnectToAServerOfASecondContext) {
    auto devices = haptix::Context::create(haptix_test::hush_options());
    ASSERT_TRUE(devices.ok()) << describe(devices.error());
    haptix::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    auto server = haptix::Server::start(*devices, server_options);
    ASSERT_TRUE(server.ok()) << describe(server.error());
    auto url = server->loopback_url();
    ASSERT_TRUE(url.ok()) << describe(url.error());
    EXPECT_NE(*server->port(), 0);

    auto remote = haptix::Context::create();
    ASSERT_TRUE(remote.ok()) << describe(remote.error());
    haptix::ClientOptions options;
    options.name = "C++ ws test";
    auto client = haptix::Client::connect(*remote, *url, options);
    ASSERT_TRUE(client.ok()) << describe(client.error());
    auto connected = haptix_test::wait_for(*client, Kind::kConnected);
    ASSERT_TRUE(connected);
    auto device = haptix_test::find_device(*client);
    ASSERT_TRUE(device);
    EXPECT_EQ(device->name(), "Lovense Hush");
    EXPECT_EQ(device->address(), "");  // a remote server does not tell

    auto observer = haptix::Client::connect_embedded(*devices);
    ASSERT_TRUE(observer.ok());
    (void)observer->take_writes(kHush);
    ASSERT_TRUE(client->call(haptix::request::vibrate(device->index(), 0.5)).ok());
    EXPECT_EQ(haptix_test::next_writes(*observer, kHush)[0], "tx:Vibrate:10;");
}

TEST(Client, AServerThatGoesAwayDisconnectsItsClient) {
    auto devices = haptix::Context::create(haptix_test::hush_options());
    ASSERT_TRUE(devices.ok());
    haptix::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    auto server = haptix::Server::start(*devices, server_options);
    ASSERT_TRUE(server.ok()) << describe(server.error());
    auto remote = haptix::Context::create();
    ASSERT_TRUE(remote.ok());
    auto client = haptix::Client::connect(*remote, *server->loopback_url());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(haptix_test::wait_for(*client, Kind::kConnected));
    ASSERT_TRUE(client->call(haptix::request::ping()).ok());

    ASSERT_TRUE(server->stop().ok());
    auto disconnected = haptix_test::wait_for(*client, Kind::kDisconnected);
    ASSERT_TRUE(disconnected);
    haptix::Status status = HAPTIX_STATUS_OK;
    for (int i = 0; i < 100 && status == HAPTIX_STATUS_OK; ++i) {
        status = client->next_event(100).status();
    }
    EXPECT_EQ(status, HAPTIX_STATUS_CLOSED);
    EXPECT_EQ(client->call(haptix::request::ping()).status(), HAPTIX_STATUS_CLOSED);
    EXPECT_TRUE(server->stop().ok());  // twice is fine
}

TEST(Client, AServerThatCannotBeReachedDisconnects) {
    // Bind a server to learn a free port, stop it, then connect to that port.
    auto devices = haptix::Context::create();
    ASSERT_TRUE(devices.ok());
    haptix::ServerOptions server_options;
    server_options.listen_address = "127.0.0.1:0";
    auto server = haptix::Server::start(*devices, server_options);
    ASSERT_TRUE(server.ok());
    const std::string url = *server->loopback_url();
    server->reset();
    auto client = haptix::Client::connect(*devices, url);
    ASSERT_TRUE(client.ok());
    auto disconnected = haptix_test::wait_for(*client, Kind::kDisconnected);
    ASSERT_TRUE(disconnected);
    EXPECT_NE(disconnected->disconnected.status, 0);
}

// Handlers run on the dispatcher thread and may call anything, including call().
TEST(Handlers, AHandlerMayWaitForAResponse) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
    std::string battery_result;
    haptix::Status next_event_status = HAPTIX_STATUS_OK;
    std::thread::id handler_thread;
    haptix::Client &client = session->client;
    auto set = client.on_event([&](const v1::Event &event) {
        if (event.kind_case != Kind::kDeviceAdded) {
            return;
        }
        // Inside the handler: wait for responses (call), and try to wait for an event.
        auto battery = client.battery(event.device_added.device->index);
        auto vibrate = client.call(haptix::request::vibrate(event.device_added.device->index, 0.5));
        auto nested = client.next_event(50);
        std::lock_guard<std::mutex> lock(mutex);
        battery_result = battery ? std::to_string(*battery) : battery.error().describe();
        if (!vibrate) {
            battery_result += " / vibrate " + vibrate.error().describe();
        }
        next_event_status = nested.status();
        handler_thread = std::this_thread::get_id();
        done = true;
        changed.notify_all();
    });
    ASSERT_TRUE(set.ok()) << describe(set.error());
    ASSERT_TRUE(client.start_scanning().ok());
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs), [&] { return done; }));
    EXPECT_EQ(battery_result, "85");
    // Polling is refused while a handler is set; a handler waiting for events would deadlock.
    EXPECT_TRUE(next_event_status == HAPTIX_STATUS_ERROR_WOULD_DEADLOCK ||
                next_event_status == HAPTIX_STATUS_ERROR_INVALID_ARGUMENT)
        << haptix::status_name(next_event_status);
    EXPECT_NE(handler_thread, std::this_thread::get_id());
    lock.unlock();
    EXPECT_EQ(client.next_event(0).status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
    // An empty handler returns to polling.
    ASSERT_TRUE(client.on_event(nullptr).ok());
    EXPECT_TRUE(client.next_event(0).ok());
    EXPECT_TRUE(haptix_test::receives(client, kHush, "tx:Vibrate:10;"));
}

TEST(Handlers, AHandlerMayWaitForAnotherClientsResponse) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto other = haptix::Client::connect_embedded(session->context);
    ASSERT_TRUE(other.ok()) << describe(other.error());
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
    std::string outcome;
    haptix::Client &observer = *other;
    ASSERT_TRUE(session->client
                    .on_event([&](const v1::Event &event) {
                        if (event.kind_case != Kind::kDeviceAdded) {
                            return;
                        }
                        // Inside the first client's handler: the second client waits for its
                        // answers (the writes of the toy the first one found, and a ping).
                        auto writes = observer.take_writes(kHush);
                        auto pong = observer.call(haptix::request::ping());
                        std::lock_guard<std::mutex> lock(mutex);
                        outcome = !writes ? writes.error().describe()
                                  : !pong ? pong.error().describe()
                                          : "ok";
                        done = true;
                        changed.notify_all();
                    })
                    .ok());
    ASSERT_TRUE(session->client.start_scanning().ok());
    {
        std::unique_lock<std::mutex> lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs), [&] { return done; }));
        EXPECT_EQ(outcome, "ok");
    }
    session->client.reset();  // the handler uses this test's locals: end it first
}

TEST(Handlers, AHandlerMayShutDownTheContext) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
    haptix::Status shutdown_status = HAPTIX_STATUS_ERROR_INTERNAL;
    haptix::Context &context = session->context;
    ASSERT_TRUE(session->client
                    .on_event([&](const v1::Event &event) {
                        if (event.kind_case != Kind::kDeviceAdded) {
                            return;
                        }
                        const haptix::Status status = context.shutdown().status();
                        std::lock_guard<std::mutex> lock(mutex);
                        shutdown_status = status;
                        done = true;
                        changed.notify_all();
                    })
                    .ok());
    ASSERT_TRUE(session->client.start_scanning().ok());
    {
        std::unique_lock<std::mutex> lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs), [&] { return done; }));
        EXPECT_EQ(shutdown_status, HAPTIX_STATUS_OK) << haptix::status_name(shutdown_status);
    }
    EXPECT_EQ(session->client.ping().status(), HAPTIX_STATUS_ERROR_SHUT_DOWN);
    EXPECT_TRUE(session->context.shutdown().ok());  // again, from here: at once
    session->client.reset();
}

TEST(Handlers, EventsReachTheHandlerInOrder) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::uint64_t> ids;
    auto set = session->client.on_event([&](const v1::Event &event) {
        if (event.kind_case == Kind::kResponse) {
            std::lock_guard<std::mutex> lock(mutex);
            ids.push_back(event.request_id);
            changed.notify_all();
        }
    });
    ASSERT_TRUE(set.ok());
    std::vector<std::uint64_t> sent;
    for (std::uint64_t i = 1; i <= 50; ++i) {
        v1::Request ping = haptix::request::ping();
        ping.id = i;
        auto id = session->client.send(ping);
        ASSERT_TRUE(id.ok()) << describe(id.error());
        EXPECT_EQ(*id, i);
        sent.push_back(i);
    }
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs),
                                 [&] { return ids.size() == sent.size(); }));
    EXPECT_EQ(ids, sent);
    lock.unlock();
    session->client.reset();  // the handler uses this test's locals: end it first
}

TEST(Handlers, AWakeupHandlerTellsThatEventsWait) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    std::mutex mutex;
    std::condition_variable changed;
    int wakeups = 0;
    ASSERT_TRUE(session->client
                    .on_wakeup([&] {
                        std::lock_guard<std::mutex> lock(mutex);
                        ++wakeups;
                        changed.notify_all();
                    })
                    .ok());
    ASSERT_TRUE(session->client.ping().ok());
    {
        std::unique_lock<std::mutex> lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs),
                                     [&] { return wakeups > 0; }));
    }
    auto event = session->client.next_event(0);
    ASSERT_TRUE(event.ok()) << describe(event.error());
    EXPECT_TRUE(event->has_value());
    ASSERT_TRUE(session->client.on_wakeup(nullptr).ok());
    session->client.reset();
}

TEST(Handlers, ContextLogRecordsArriveAsEvents) {
    auto context = haptix::Context::create(haptix_test::hush_options().log_level(v1::LogLevel::kTrace));
    ASSERT_TRUE(context.ok());
    auto client = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(haptix_test::find_device(*client));
    std::optional<v1::Event> record;
    for (int i = 0; i < 100 && !record; ++i) {
        auto event = context->next_event(100);
        ASSERT_TRUE(event.ok()) << describe(event.error());
        record = std::move(*event);
    }
    ASSERT_TRUE(record) << "no log record at trace level";
    EXPECT_EQ(record->kind_case, Kind::kLog);
    EXPECT_FALSE(record->log.message.empty());
}

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
TEST(Handlers, AnExceptionFromAHandlerIsContained) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    std::mutex mutex;
    std::condition_variable changed;
    int responses = 0;
    ASSERT_TRUE(session->client
                    .on_event([&](const v1::Event &event) {
                        if (event.kind_case != Kind::kResponse) {
                            return;
                        }
                        int n = 0;
                        {
                            std::lock_guard<std::mutex> lock(mutex);
                            n = ++responses;
                            changed.notify_all();
                        }
                        if (n == 1) {
                            throw std::runtime_error("a handler failed");
                        }
                    })
                    .ok());
    ASSERT_TRUE(session->client.ping().ok());
    ASSERT_TRUE(session->client.ping().ok());
    std::unique_lock<std::mutex> lock(mutex);
    // The exception did not reach the library: the second response still arrives.
    EXPECT_TRUE(changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs), [&] { return responses == 2; }));
    lock.unlock();
    session->client.reset();
}
#endif

TEST(Handlers, ContextLogRecordsReachAHandler) {
    auto context = haptix::Context::create(haptix_test::hush_options().log_level(v1::LogLevel::kTrace));
    ASSERT_TRUE(context.ok());
    // The handler keeps its state alive itself (it may run until the registration ends).
    struct State {
        std::mutex mutex;
        std::condition_variable changed;
        int records = 0;
        bool all_logs = true;
    };
    auto state = std::make_shared<State>();
    ASSERT_TRUE(context
                    ->on_event([state](const v1::Event &event) {
                        std::lock_guard<std::mutex> lock(state->mutex);
                        ++state->records;
                        state->all_logs = state->all_logs && event.kind_case == Kind::kLog;
                        state->changed.notify_all();
                    })
                    .ok());
    auto client = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(haptix_test::find_device(*client));
    {
        std::unique_lock<std::mutex> lock(state->mutex);
        ASSERT_TRUE(state->changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs),
                                            [&] { return state->records > 0; }));
        EXPECT_TRUE(state->all_logs);
    }
    EXPECT_EQ(context->next_event(0).status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);  // a handler is set
    ASSERT_TRUE(context->on_event(nullptr).ok());
    EXPECT_TRUE(context->next_event(0).ok());
}

TEST(Client, ContextOptionsReachTheLibrary) {
    // Every setter produces options the library accepts; a WebSocket device bus on a free port.
    auto context = haptix::Context::create(haptix_test::hush_options()
                                               .bus(v1::CommManager::kSimulated)
                                               .bus(v1::CommManager::kWebsocketDevices)
                                               .websocket_devices_address("127.0.0.1:0")
                                               .user_config_json("{\"version\":{\"major\":4,\"minor\":0}}")
                                               .worker_threads(1)
                                               .max_ping_time_ms(0)
                                               .server_name("options test"));
    ASSERT_TRUE(context.ok()) << describe(context.error());
    auto client = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(client.ok());
    auto connected = haptix_test::wait_for(*client, Kind::kConnected);
    ASSERT_TRUE(connected);
    EXPECT_EQ(connected->connected.server_name, "options test");
    ASSERT_TRUE(haptix_test::find_device(*client));
    // A bus this build does not know is refused with a reason.
    auto unknown = haptix::Context::create(haptix::ContextOptions().bus(static_cast<v1::CommManager>(99)));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.status(), HAPTIX_STATUS_ERROR_INVALID_ARGUMENT);
}
