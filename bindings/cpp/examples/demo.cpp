// The haptix demo from C++: an embedded server with a simulated Lovense Hush, a client that
// scans for it and plays a short pattern, and what the toy received after each command. Needs
// no hardware. Built by bindings/cpp/CMakeLists.txt; run with scripts/demo-cpp.sh.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "haptix.hpp"

namespace {

const char *const kToy = "LVS-Hush";
const char *const kAddress = "demo-hush";

// "Vibrate:10;" on tx, or hex for bytes that are not printable.
std::string show(const haptix::v1::Write &w) {
    bool printable = !w.data.empty();
    for (unsigned char c : w.data) {
        printable = printable && c >= 0x20 && c < 0x7f;
    }
    std::string text;
    if (printable) {
        text = "\"" + w.data + "\"";
    } else {
        char buf[4];
        text = "[";
        for (unsigned char c : w.data) {
            std::snprintf(buf, sizeof buf, "%02x", c);
            text += (text.size() > 1 ? " " : "") + std::string(buf);
        }
        text += "]";
    }
    return text + " on " + w.endpoint;
}

// Prints what the toy received after `what`. The write happens just after the command's
// response, so poll briefly (up to half a second).
void received(haptix::Client &client, const std::string &what) {
    std::vector<haptix::v1::Write> writes;
    for (int i = 0; i < 50 && writes.empty(); ++i) {
        auto taken = client.take_writes(kAddress);
        if (!taken) {
            std::printf("  %-22s -> %s\n", what.c_str(), taken.error().describe().c_str());
            return;
        }
        writes = std::move(taken).value();
        if (writes.empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    std::string line;
    for (const auto &w : writes) {
        line += (line.empty() ? "" : ", ") + show(w);
    }
    std::printf("  %-22s -> %s\n", what.c_str(),
                writes.empty() ? "the toy received nothing (unchanged)" : ("the toy received " + line).c_str());
}

// "OUTPUT_TYPE_VIBRATE" -> "vibrate".
std::string short_name(const char *name, const char *prefix) {
    std::string s(name);
    if (s.rfind(prefix, 0) == 0) {
        s.erase(0, std::string(prefix).size());
    }
    for (char &c : s) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return s.empty() ? "unknown" : s;
}

int fail(const char *what, const haptix::Error &error) {
    std::fprintf(stderr, "haptix demo: %s: %s\n", what, error.describe().c_str());
    return 1;
}

}  // namespace

int main() {
    std::printf("Haptix demo from C++: libhaptix %s, C ABI %u.\n", haptix::library_version(),
                haptix_abi_version());
    std::printf("An embedded server with a simulated toy (%s), driven by a client through the C++ binding.\n", kToy);

    auto context = haptix::Context::create(haptix::ContextOptions().simulated_device(kToy, kAddress));
    if (!context) {
        return fail("creating the context", context.error());
    }
    haptix::ClientOptions options;
    options.name = "haptix C++ demo";
    auto client = haptix::Client::connect_embedded(*context, options);
    if (!client) {
        return fail("connecting", client.error());
    }
    (void)client->start_scanning();

    // Poll mode, as a game loop would: take events until the toy shows up.
    std::optional<haptix::Device> device;
    while (!device) {
        auto event = client->next_event(10000);
        if (!event) {
            return fail("waiting for events", event.error());
        }
        if (!*event) {
            std::fprintf(stderr, "haptix demo: no device within 10 s\n");
            return 1;
        }
        const haptix::v1::Event &e = **event;
        if (e.kind_case == haptix::v1::Event::KindCase::kConnected) {
            std::printf("connected to \"%s\" (message spec v%u)\n", e.connected.server_name.c_str(),
                        e.connected.spec_version);
        } else if (e.kind_case == haptix::v1::Event::KindCase::kDeviceAdded && e.device_added.device) {
            device.emplace(*e.device_added.device);
        }
    }
    (void)client->stop_scanning();
    std::printf("found device %u: %s\n", device->index(), device->label().c_str());
    for (const auto &feature : device->features()) {
        std::string parts;
        for (const auto &o : feature.outputs) {
            parts += (parts.empty() ? "" : ", ") + short_name(haptix::v1::name(o.output_type), "OUTPUT_TYPE_") +
                     " 0-" + std::to_string(o.value ? o.value->max : 0);
        }
        for (const auto &i : feature.inputs) {
            parts += (parts.empty() ? "" : ", ") + short_name(haptix::v1::name(i.input_type), "INPUT_TYPE_") + " input";
        }
        std::printf("  feature %u: %s\n", feature.index, parts.c_str());
    }
    received(*client, "(identification)");

    for (double level : {0.25, 0.5, 1.0, 0.5}) {
        auto r = client->call(haptix::request::vibrate(device->index(), level));
        if (!r) {
            return fail("vibrate", r.error());
        }
        received(*client, "vibrate " + std::to_string(static_cast<int>(level * 100)) + "%");
    }
    auto battery = client->battery(device->index());
    if (!battery) {
        return fail("battery", battery.error());
    }
    received(*client, "battery read: " + std::to_string(*battery) + "%");
    if (auto r = client->call(haptix::request::stop_device(device->index())); !r) {
        return fail("stop", r.error());
    }
    received(*client, "stop");
    (void)client->disconnect();
    client->reset();
    std::printf("disconnected; shutting down\n");
    if (auto r = context->shutdown(); !r) {
        return fail("shutdown", r.error());
    }
    std::printf("done.\n");
    return 0;
}
