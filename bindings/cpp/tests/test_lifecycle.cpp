// Owners: moving them, destroying a client inside its own handler or with requests pending,
// many threads at once, and creating and shutting down contexts repeatedly.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "haptix.hpp"
#include "support.hpp"

namespace v1 = haptix::v1;
using haptix_test::describe;
using haptix_test::kHush;
using Kind = v1::Event::KindCase;

TEST(Lifecycle, OwnersMoveAndTheMovedFromOnesAreEmpty) {
    auto created = haptix::Context::create(haptix_test::hush_options());
    ASSERT_TRUE(created.ok());
    haptix::Context context = std::move(created).value();
    haptix::Context moved(std::move(context));
    EXPECT_FALSE(static_cast<bool>(context));  // NOLINT(bugprone-use-after-move): checked on purpose
    ASSERT_TRUE(static_cast<bool>(moved));

    auto connected = haptix::Client::connect_embedded(moved);
    ASSERT_TRUE(connected.ok());
    std::vector<haptix::Client> clients;
    clients.push_back(std::move(connected).value());
    haptix::Client client;
    client = std::move(clients[0]);
    EXPECT_FALSE(static_cast<bool>(clients[0]));
    EXPECT_EQ(clients[0].ping().status(), HAPTIX_STATUS_ERROR_NULL_POINTER);
    ASSERT_TRUE(client.call(haptix::request::ping()).ok());

    haptix::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    auto started = haptix::Server::start(moved, options);
    ASSERT_TRUE(started.ok()) << describe(started.error());
    haptix::Server server = std::move(started).value();
    haptix::Server other;
    other = std::move(server);
    EXPECT_FALSE(static_cast<bool>(server));
    EXPECT_TRUE(other.port().ok());

    // Moving a client keeps its handler working: the handler belongs to the C handle.
    std::atomic<int> responses{0};
    ASSERT_TRUE(client.on_event([&responses](const v1::Event &e) {
                          if (e.kind_case == Kind::kResponse) {
                              ++responses;
                          }
                      })
                    .ok());
    haptix::Client again(std::move(client));
    ASSERT_TRUE(again.ping().ok());
    ASSERT_TRUE(again.call(haptix::request::ping()).ok());  // ordered after the ping's response
    for (int i = 0; i < 1000 && responses.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(responses.load(), 1);
    again.reset();
}

TEST(Lifecycle, AClientMayBeDestroyedInsideItsOwnHandler) {
    auto context = haptix::Context::create(haptix_test::hush_options());
    ASSERT_TRUE(context.ok());
    auto connected = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(connected.ok());
    // The handler owns what it uses (shared state), since it outlives this scope's variables
    // only if the test fails.
    struct State {
        std::mutex mutex;
        std::condition_variable changed;
        std::optional<haptix::Client> client;
        bool destroyed = false;
        int events_after = 0;
    };
    auto state = std::make_shared<State>();
    state->client.emplace(std::move(connected).value());
    std::weak_ptr<State> weak = state;
    auto set = state->client->on_event([weak](const v1::Event &event) {
        auto s = weak.lock();
        if (!s) {
            return;
        }
        std::lock_guard<std::mutex> lock(s->mutex);
        if (s->destroyed) {
            ++s->events_after;
            return;
        }
        if (event.kind_case == Kind::kDeviceAdded) {
            s->client.reset();  // frees the client (and this handler) once it returns
            s->destroyed = true;
            s->changed.notify_all();
        }
    });
    ASSERT_TRUE(set.ok());
    {
        std::lock_guard<std::mutex> lock(state->mutex);
        ASSERT_TRUE(state->client->start_scanning().ok());
    }
    std::unique_lock<std::mutex> lock(state->mutex);
    ASSERT_TRUE(state->changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs),
                                        [&] { return state->destroyed; }));
    EXPECT_FALSE(state->client.has_value());
    lock.unlock();
    // The context still works for a new client, and the toy was stopped by the freed client.
    auto next = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(next->call(haptix::request::ping()).ok());
    std::lock_guard<std::mutex> relock(state->mutex);
    EXPECT_EQ(state->events_after, 0);
}

TEST(Lifecycle, AClientMayBeDestroyedInsideItsOwnWakeupHandler) {
    auto context = haptix::Context::create(haptix_test::hush_options());
    ASSERT_TRUE(context.ok());
    auto connected = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(connected.ok());
    struct State {
        std::mutex mutex;
        std::condition_variable changed;
        std::optional<haptix::Client> client;
        bool destroyed = false;
        int wakeups_after = 0;
    };
    auto state = std::make_shared<State>();
    state->client.emplace(std::move(connected).value());
    std::weak_ptr<State> weak = state;
    ASSERT_TRUE(state->client
                    ->on_wakeup([weak] {
                        auto s = weak.lock();
                        if (!s) {
                            return;
                        }
                        std::lock_guard<std::mutex> lock(s->mutex);
                        if (s->destroyed) {
                            ++s->wakeups_after;
                            return;
                        }
                        s->client.reset();  // frees the client (and this handler) once it returns
                        s->destroyed = true;
                        s->changed.notify_all();
                    })
                    .ok());
    {
        std::lock_guard<std::mutex> lock(state->mutex);
        if (!state->destroyed) {  // the `connected` event may have woken it already
            ASSERT_TRUE(state->client->ping().ok());
        }
    }
    std::unique_lock<std::mutex> lock(state->mutex);
    ASSERT_TRUE(state->changed.wait_for(lock, std::chrono::milliseconds(haptix_test::kWaitMs),
                                        [&] { return state->destroyed; }));
    EXPECT_FALSE(state->client.has_value());
    lock.unlock();
    auto next = haptix::Client::connect_embedded(*context);
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(next->call(haptix::request::ping()).ok());
    std::lock_guard<std::mutex> relock(state->mutex);
    EXPECT_EQ(state->wakeups_after, 0);
}

// A handler (and all it captured) lives as long as its registration: replacing it or
// destroying its owner releases it.
TEST(Lifecycle, HandlersAreReleasedWithTheirOwner) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    haptix::Client &client = session->client;
    const auto released = [](const std::weak_ptr<int> &weak) {
        // A replaced handler is released once any running call of it has returned: wait.
        for (int i = 0; i < 1000 && !weak.expired(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return weak.expired();
    };

    auto first = std::make_shared<int>(1);
    const std::weak_ptr<int> first_weak = first;
    ASSERT_TRUE(client.on_event([first](const v1::Event &) { (void)*first; }).ok());
    first.reset();
    ASSERT_TRUE(client.call(haptix::request::ping()).ok());
    EXPECT_FALSE(first_weak.expired()) << "the client does not keep its handler";

    auto second = std::make_shared<int>(2);
    const std::weak_ptr<int> second_weak = second;
    ASSERT_TRUE(client.on_event([second](const v1::Event &) { (void)*second; }).ok());
    second.reset();
    EXPECT_TRUE(released(first_weak)) << "the replaced handler was not released";
    EXPECT_FALSE(second_weak.expired());

    auto third = std::make_shared<int>(3);
    const std::weak_ptr<int> third_weak = third;
    ASSERT_TRUE(client.on_event(nullptr).ok());
    ASSERT_TRUE(client.on_wakeup([third] { (void)*third; }).ok());
    third.reset();
    EXPECT_TRUE(released(second_weak)) << "the handler removed by an empty one was not released";
    EXPECT_FALSE(third_weak.expired());
    client.reset();  // frees the client: its handlers are released before reset() returns
    EXPECT_TRUE(third_weak.expired());

    auto fourth = std::make_shared<int>(4);
    const std::weak_ptr<int> fourth_weak = fourth;
    ASSERT_TRUE(session->context.on_event([fourth](const v1::Event &) { (void)*fourth; }).ok());
    fourth.reset();
    EXPECT_FALSE(fourth_weak.expired());
    session->context.reset();
    EXPECT_TRUE(fourth_weak.expired());
}

TEST(Lifecycle, DestroyingAClientWithRequestsPendingCancelsThem) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    for (int i = 0; i < 200; ++i) {
        auto id = session->client.vibrate(device->index(), (i % 20) / 20.0);
        ASSERT_TRUE(id.ok()) << describe(id.error());
        ASSERT_TRUE(session->client.send(haptix::request::battery(device->index())).ok());
    }
    session->client.reset();
    // The context carries on; the freed client's toy was stopped.
    auto observer = haptix::Client::connect_embedded(session->context);
    ASSERT_TRUE(observer.ok());
    ASSERT_TRUE(observer->call(haptix::request::ping()).ok());
    EXPECT_TRUE(haptix_test::receives(*observer, kHush, "tx:Vibrate:0;"))
        << "freeing the client did not stop the toy";
}

TEST(Lifecycle, AZeroTimeoutCallTimesOutWithoutBlocking) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    // Either the reading or a timeout, at once; the client stays usable afterwards.
    for (int i = 0; i < 50; ++i) {
        auto r = session->client.battery(device->index(), 0);
        if (!r) {
            EXPECT_EQ(r.status(), HAPTIX_STATUS_ERROR_TIMED_OUT) << describe(r.error());
        } else {
            EXPECT_EQ(*r, 85);
        }
    }
    auto settled = session->client.battery(device->index());
    ASSERT_TRUE(settled.ok()) << describe(settled.error());
    EXPECT_EQ(*settled, 85);
}

TEST(Lifecycle, EightThreadsSendWhileOnePolls) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    auto device = haptix_test::find_device(session->client);
    ASSERT_TRUE(device);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 100;
    haptix::Client &client = session->client;
    std::mutex mutex;
    std::set<std::uint64_t> sent;
    std::atomic<int> send_failures{0};
    std::atomic<bool> senders_done{false};
    std::set<std::uint64_t> answered;
    int failed_responses = 0;
    std::thread poller([&] {
        // Runs until every sent request is answered (or nothing arrives for kWaitMs).
        auto last = std::chrono::steady_clock::now();
        for (;;) {
            auto event = client.next_event(50);
            if (!event) {
                break;
            }
            if (*event && (*event)->kind_case == Kind::kResponse) {
                std::lock_guard<std::mutex> lock(mutex);
                answered.insert((*event)->request_id);
                if ((*event)->response.status != 0) {
                    ++failed_responses;
                }
                last = std::chrono::steady_clock::now();
            }
            std::lock_guard<std::mutex> lock(mutex);
            if (senders_done && answered.size() >= sent.size()) {
                break;
            }
            if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(haptix_test::kWaitMs)) {
                break;
            }
        }
    });
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
        senders.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                auto id = (i % 2 == 0) ? client.vibrate(device->index(), (t + i) % 10 / 10.0) : client.ping();
                if (!id) {
                    ++send_failures;
                    continue;
                }
                std::lock_guard<std::mutex> lock(mutex);
                sent.insert(*id);
            }
        });
    }
    for (auto &s : senders) {
        s.join();
    }
    senders_done = true;
    poller.join();
    EXPECT_EQ(send_failures.load(), 0);
    EXPECT_EQ(sent.size(), static_cast<std::size_t>(kThreads * kPerThread));  // unique ids
    EXPECT_EQ(answered, sent);
    EXPECT_EQ(failed_responses, 0);
}

TEST(Lifecycle, ShutdownEndsStreamsAndRefusesRequests) {
    auto session = haptix_test::open_session(haptix_test::hush_options());
    ASSERT_TRUE(session);
    ASSERT_TRUE(haptix_test::find_device(session->client));
    ASSERT_TRUE(session->context.shutdown(5000).ok());
    EXPECT_TRUE(session->context.shutdown().ok());  // again: at once
    EXPECT_EQ(session->client.ping().status(), HAPTIX_STATUS_ERROR_SHUT_DOWN);
    EXPECT_EQ(session->client.call(haptix::request::ping()).status(), HAPTIX_STATUS_ERROR_SHUT_DOWN);
    bool saw_disconnected = false;
    haptix::Status status = HAPTIX_STATUS_OK;
    for (int i = 0; i < 1000 && status == HAPTIX_STATUS_OK; ++i) {
        auto event = session->client.next_event(100);
        status = event.status();
        if (event && *event && (*event)->kind_case == Kind::kDisconnected) {
            saw_disconnected = true;
        }
    }
    EXPECT_TRUE(saw_disconnected);
    EXPECT_EQ(status, HAPTIX_STATUS_CLOSED);
    EXPECT_EQ(haptix::Client::connect_embedded(session->context).status(), HAPTIX_STATUS_ERROR_SHUT_DOWN);
}

TEST(Lifecycle, ShutdownAndRecreateAHundredTimes) {
    for (int i = 0; i < 100; ++i) {
        auto context = haptix::Context::create(haptix_test::hush_options());
        ASSERT_TRUE(context.ok()) << "round " << i << ": " << describe(context.error());
        auto client = haptix::Client::connect_embedded(*context);
        ASSERT_TRUE(client.ok()) << "round " << i << ": " << describe(client.error());
        auto pong = client->call(haptix::request::ping());
        ASSERT_TRUE(pong.ok()) << "round " << i << ": " << describe(pong.error());
        if (i % 2 == 0) {
            ASSERT_TRUE(context->shutdown().ok());
        }
        // Odd rounds: the owners' destructors shut down (client first, then context).
    }
}

TEST(Lifecycle, AClientOutlivingItsContextIsHarmless) {
    haptix::Client client;
    {
        auto context = haptix::Context::create();
        ASSERT_TRUE(context.ok());
        auto connected = haptix::Client::connect_embedded(*context);
        ASSERT_TRUE(connected.ok());
        client = std::move(connected).value();
    }
    // The context freed the C client: calls report it, and destruction is harmless.
    EXPECT_FALSE(client.ping().ok());
    EXPECT_EQ(client.next_event(0).status(), HAPTIX_STATUS_ERROR_INVALID_HANDLE);
}
