// Benchmark (not a test): sequential commands through the C++ binding and through the raw C
// ABI in the same run, on the same simulated toy. Each command is a vibrate request sent with
// haptix_client_call, waiting for its response (the library accepted it); levels alternate so
// that every command changes the output.
//
//   C++ side: client.call(haptix::request::vibrate(index, level)) -- the generated codec
//             encodes into a reused per-thread buffer and decodes the response.
//   C side:   the request's 15 bytes written by hand into a stack buffer, haptix_client_call,
//             the response's status read by hand, haptix_buffer_free.
//
// The sides take turns in blocks of 50 commands, so that the machine's load hits both alike.
// Prints commands per second and p50/p99 call-to-response latency for each side, the C++/C
// ratio, how many times the C++ side called operator new per command (the binding's own
// allocations; the Rust library's are not counted), and the binding's own work per command
// measured alone in CPU time (which, unlike the round trips, does not depend on the machine's
// load).
//
// Usage: haptix_bench [COMMANDS_PER_ROUND] [ROUNDS]   (defaults 2000 and 5; per side)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <string>
#include <vector>

#include "haptix.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

// Counts the C++ program's allocations (the binding's codec and Result values).
void *operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    std::abort();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__unix__) || defined(__APPLE__)
const char *const kCpuClock = "of CPU time";
// The calling thread's CPU time in microseconds.
double thread_cpu_us() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}
#else
const char *const kCpuClock = "of wall time";
double thread_cpu_us() {
    return std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch()).count();
}
#endif

// Request{output{device_index, output_type VIBRATE, level}} by hand, as a C caller would.
std::size_t encode_vibrate(std::uint8_t *out, std::uint32_t device, double level) {
    std::uint8_t body[32];
    std::size_t n = 0;
    if (device != 0) {
        body[n++] = 0x08;
        std::uint32_t v = device;
        while (v >= 0x80) {
            body[n++] = static_cast<std::uint8_t>(v | 0x80);
            v >>= 7;
        }
        body[n++] = static_cast<std::uint8_t>(v);
    }
    body[n++] = 0x18;
    body[n++] = 0x01;
    body[n++] = 0x21;
    std::memcpy(body + n, &level, 8);  // little-endian hosts
    n += 8;
    out[0] = 0x6a;
    out[1] = static_cast<std::uint8_t>(n);
    std::memcpy(out + 2, body, n);
    return n + 2;
}

bool read_varint(const std::uint8_t *&p, const std::uint8_t *end, std::uint64_t &v) {
    v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        const std::uint8_t b = *p++;
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return true;
        }
    }
    return false;
}

// The Response.status of an encoded Event (by hand): -1 when malformed.
std::int64_t response_status(const std::uint8_t *p, std::size_t len) {
    const std::uint8_t *end = p + len;
    while (p < end) {
        std::uint64_t key = 0;
        if (!read_varint(p, end, key)) {
            return -1;
        }
        const std::uint64_t type = key & 7;
        if (type == 0) {
            std::uint64_t v = 0;
            if (!read_varint(p, end, v)) {
                return -1;
            }
        } else if (type == 2) {
            std::uint64_t n = 0;
            if (!read_varint(p, end, n) || n > static_cast<std::uint64_t>(end - p)) {
                return -1;
            }
            if ((key >> 3) == 10) {  // Event.response
                const std::uint8_t *q = p;
                const std::uint8_t *qend = p + n;
                while (q < qend) {
                    std::uint64_t k = 0;
                    std::uint64_t v = 0;
                    if (!read_varint(q, qend, k)) {
                        return -1;
                    }
                    if ((k & 7) == 0) {
                        if (!read_varint(q, qend, v)) {
                            return -1;
                        }
                        if ((k >> 3) == 1) {
                            return static_cast<std::int64_t>(static_cast<std::int32_t>(v));
                        }
                    } else if ((k & 7) == 2) {
                        if (!read_varint(q, qend, v) || v > static_cast<std::uint64_t>(qend - q)) {
                            return -1;
                        }
                        q += v;
                    } else {
                        return -1;
                    }
                }
                return 0;  // status 0 is not written
            }
            p += n;
        } else if (type == 1) {
            p += 8;
        } else if (type == 5) {
            p += 4;
        } else {
            return -1;
        }
    }
    return -1;
}

struct Side {
    const char *name;
    std::vector<double> latencies_us;
    double seconds = 0;
    std::uint64_t allocations = 0;
    std::vector<double> round_rates;  // commands per second of each round
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
    return v[i];
}

bool run_cpp(haptix::Client &client, std::uint32_t device, int n, Side &side) {
    const std::uint64_t before = g_allocations.load();
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        auto r = client.call(haptix::request::vibrate(device, (i % 2 == 0) ? 0.5 : 0.25));
        const auto t1 = Clock::now();
        if (!r) {
            std::fprintf(stderr, "bench: C++ call failed: %s\n", r.error().describe().c_str());
            return false;
        }
        side.latencies_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    side.seconds += seconds;
    side.allocations += g_allocations.load() - before;
    return true;
}

bool run_c(haptix_client *client, std::uint32_t device, int n, Side &side) {
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        std::uint8_t request[64];
        const std::size_t len = encode_vibrate(request, device, (i % 2 == 0) ? 0.5 : 0.25);
        haptix_buffer response{nullptr, 0};
        const haptix_status status = haptix_client_call(client, request, len, UINT32_MAX, &response);
        const std::int64_t answer = status == HAPTIX_STATUS_OK ? response_status(response.data, response.len) : -1;
        haptix_buffer_free(&response);
        const auto t1 = Clock::now();
        if (status != HAPTIX_STATUS_OK || answer != 0) {
            std::fprintf(stderr, "bench: C call failed: status %d, response %lld\n", static_cast<int>(status),
                         static_cast<long long>(answer));
            return false;
        }
        side.latencies_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    side.seconds += seconds;
    return true;
}

void report(const Side &s, int total) {
    std::printf("  %-12s %7.0f commands/s (median round %7.0f)   p50 %6.1f us   p99 %7.1f us", s.name,
                static_cast<double>(total) / s.seconds, percentile(s.round_rates, 0.5),
                percentile(s.latencies_us, 0.50), percentile(s.latencies_us, 0.99));
    if (std::strcmp(s.name, "C++ binding") == 0) {
        std::printf("   %.2f operator new per command", static_cast<double>(s.allocations) / total);
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char **argv) {
    const int per_round = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    auto context = haptix::Context::create(haptix::ContextOptions().simulated_device("LVS-Hush", "bench"));
    if (!context) {
        std::fprintf(stderr, "bench: %s\n", context.error().describe().c_str());
        return 1;
    }
    auto client = haptix::Client::connect_embedded(*context);
    if (!client || !client->start_scanning()) {
        std::fprintf(stderr, "bench: cannot connect\n");
        return 1;
    }
    std::uint32_t device = 0;
    for (bool found = false; !found;) {
        auto event = client->next_event(10000);
        if (!event || !*event) {
            std::fprintf(stderr, "bench: no device\n");
            return 1;
        }
        if ((*event)->kind_case == haptix::v1::Event::KindCase::kDeviceAdded) {
            device = (*event)->device_added.device->index;
            found = true;
        }
    }
    (void)client->stop_scanning();

    Side cpp{"C++ binding", {}, 0, 0, {}};
    Side c{"raw C ABI", {}, 0, 0, {}};
    Side warm_cpp{"warm-up", {}, 0, 0, {}};
    Side warm_c{"warm-up", {}, 0, 0, {}};
    if (!run_cpp(*client, device, 500, warm_cpp) || !run_c(client->get(), device, 500, warm_c)) {
        return 1;
    }
    cpp.latencies_us.reserve(static_cast<std::size_t>(per_round * rounds));
    c.latencies_us.reserve(static_cast<std::size_t>(per_round * rounds));
    // The sides take turns in short blocks (C, C++, C++, C, ...) so that the machine's load,
    // and its drift, hit both alike; a round's rate per side is its commands over the time of
    // its own blocks.
    const int block = std::min(per_round, 50);
    for (int round = 0; round < rounds; ++round) {
        const double c_before = c.seconds;
        const double cpp_before = cpp.seconds;
        for (int done = 0, turn = 0; done < per_round; done += block, ++turn) {
            const int n = std::min(block, per_round - done);
            const bool c_first = (turn % 2 == 0);
            const bool ok = c_first ? run_c(client->get(), device, n, c) && run_cpp(*client, device, n, cpp)
                                    : run_cpp(*client, device, n, cpp) && run_c(client->get(), device, n, c);
            if (!ok) {
                return 1;
            }
        }
        c.round_rates.push_back(per_round / (c.seconds - c_before));
        cpp.round_rates.push_back(per_round / (cpp.seconds - cpp_before));
    }
    // The binding's own cost, without the library: build and encode the request, and turn a
    // response event into the Result, with the very functions call() runs around
    // haptix_client_call. Timed in the thread's CPU time where the system has one, so that
    // other processes on the machine do not count.
    std::string response_bytes;
    {
        haptix::v1::Event event;
        event.request_id = 1ull << 63;
        event.kind_case = haptix::v1::Event::KindCase::kResponse;
        response_bytes = event.encode();
    }
    const int codec_n = 500000;
    std::size_t sink = 0;
    const std::uint64_t codec_allocations = g_allocations.load();
    const double codec_start = thread_cpu_us();
    for (int i = 0; i < codec_n; ++i) {
        sink += haptix::detail::scratch_encode(haptix::request::vibrate(device, (i % 2 == 0) ? 0.5 : 0.25)).size();
        haptix::Result<haptix::v1::Response> result = haptix::detail::response_result(
            reinterpret_cast<const std::uint8_t *>(response_bytes.data()), response_bytes.size());
        sink += result.ok() ? 1 : 0;
    }
    const double codec_us = (thread_cpu_us() - codec_start) / codec_n;
    const double codec_new = static_cast<double>(g_allocations.load() - codec_allocations) / codec_n;

    const int total = per_round * rounds;
    std::printf("haptix benchmark: libhaptix %s, %d sequential vibrate commands per side (%d rounds),\n"
                "each sent with haptix_client_call and waited for, on a simulated Lovense Hush.\n",
                haptix::library_version(), total, rounds);
    report(c, total);
    report(cpp, total);
    std::printf("  C++ / C: throughput %.3f (median rounds %.3f), p50 latency %.3f, p99 latency %.3f\n",
                (total / cpp.seconds) / (total / c.seconds),
                percentile(cpp.round_rates, 0.5) / percentile(c.round_rates, 0.5),
                percentile(cpp.latencies_us, 0.5) / percentile(c.latencies_us, 0.5),
                percentile(cpp.latencies_us, 0.99) / percentile(c.latencies_us, 0.99));
    std::printf("  the binding's own work per command (encode + decode, no library): %.3f us %s, %.2f operator new%s\n",
                codec_us, kCpuClock, codec_new, sink == 0 ? " (?)" : "");
    client->reset();
    return 0;
}
