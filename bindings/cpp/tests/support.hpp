// Helpers shared by the C++ binding's tests: a context with simulated toys, a connected
// client, waiting for a device, collecting what a simulated toy received. Bounded waits only
// (they end a test with a failure, never hang it).
#ifndef HAPTIX_TEST_SUPPORT_HPP
#define HAPTIX_TEST_SUPPORT_HPP

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "haptix.hpp"

namespace haptix_test {

/// Address of the simulated Lovense Hush most tests use.
inline const char *const kHush = "hush-1";

/// Upper bound of every wait in the tests (a failure, never a timing assertion).
constexpr std::uint32_t kWaitMs = 10000;

inline std::string describe(const haptix::Error &e) { return e.describe(); }

/// The next event of `kind`, skipping others; nullopt when none came within kWaitMs.
inline std::optional<haptix::v1::Event> wait_for(haptix::Client &client,
                                                 haptix::v1::Event::KindCase kind) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (std::chrono::steady_clock::now() < deadline) {
        auto event = client.next_event(100);
        if (!event) {
            ADD_FAILURE() << "next_event: " << describe(event.error());
            return std::nullopt;
        }
        if (*event && (*event)->kind_case == kind) {
            return std::move(**event);
        }
    }
    ADD_FAILURE() << "no event of kind " << static_cast<unsigned>(kind) << " within " << kWaitMs << " ms";
    return std::nullopt;
}

/// Scans until a device is added; returns it.
inline std::optional<haptix::Device> find_device(haptix::Client &client) {
    auto scan = client.start_scanning();
    if (!scan) {
        ADD_FAILURE() << "start_scanning: " << describe(scan.error());
        return std::nullopt;
    }
    auto added = wait_for(client, haptix::v1::Event::KindCase::kDeviceAdded);
    if (!added || !added->device_added.device) {
        return std::nullopt;
    }
    return haptix::Device(*added->device_added.device);
}

/// What the simulated toy at `address` received next: polls (the write follows the command's
/// response closely) until something arrives; empty when nothing did within kWaitMs.
inline std::vector<std::string> next_writes(haptix::Client &client, const std::string &address) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (std::chrono::steady_clock::now() < deadline) {
        auto writes = client.take_writes(address);
        if (!writes) {
            ADD_FAILURE() << "take_writes: " << describe(writes.error());
            return {};
        }
        if (!writes->empty()) {
            std::vector<std::string> data;
            for (const auto &w : *writes) {
                data.push_back(w.endpoint + ":" + w.data);
            }
            return data;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return {};
}

/// Whether the simulated toy at `address` receives `expected` ("tx:Vibrate:10;"), looking at
/// what it receives next (earlier writes may still be arriving); false when it did not within
/// a few batches.
inline bool receives(haptix::Client &client, const std::string &address, const std::string &expected) {
    for (int batch = 0; batch < 5; ++batch) {
        const std::vector<std::string> writes = next_writes(client, address);
        if (writes.empty()) {
            return false;
        }
        for (const std::string &w : writes) {
            if (w == expected) {
                return true;
            }
        }
    }
    return false;
}

/// A context with simulated toys and a client of its embedded server.
struct Session {
    haptix::Context context;
    haptix::Client client;
};

inline std::optional<Session> open_session(haptix::ContextOptions options) {
    auto context = haptix::Context::create(options);
    if (!context) {
        ADD_FAILURE() << "Context::create: " << describe(context.error());
        return std::nullopt;
    }
    auto client = haptix::Client::connect_embedded(*context);
    if (!client) {
        ADD_FAILURE() << "connect_embedded: " << describe(client.error());
        return std::nullopt;
    }
    return Session{std::move(context).value(), std::move(client).value()};
}

inline haptix::ContextOptions hush_options() {
    return haptix::ContextOptions().simulated_device("LVS-Hush", kHush);
}

}  // namespace haptix_test

#endif  // HAPTIX_TEST_SUPPORT_HPP
