// haptix/context.hpp: haptix::Context (a runtime, the embedded server and its devices) and
// haptix::Server (a Buttplug WebSocket server over a context's devices), move-only owners of
// the C handles.

#ifndef HAPTIX_CONTEXT_HPP
#define HAPTIX_CONTEXT_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "haptix.h"
#include "haptix/messages.hpp"
#include "haptix/result.hpp"

namespace haptix {

/// The library's version string ("0.1.0"); static, never fails, any thread.
inline const char *library_version() noexcept { return haptix_version(); }

namespace detail {

/// Owns a haptix_buffer the library filled and frees it with haptix_buffer_free.
class Buffer {
public:
    Buffer() noexcept = default;
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    ~Buffer() { haptix_buffer_free(&buffer_); }
    haptix_buffer *out() noexcept { return &buffer_; }
    const std::uint8_t *data() const noexcept { return buffer_.data; }
    std::size_t size() const noexcept { return buffer_.len; }

private:
    haptix_buffer buffer_{nullptr, 0};
};

/// Encodes `message` into the calling thread's scratch string, which keeps its capacity, so
/// encoding a request allocates nothing once the thread has sent one of that size. The string
/// is valid until the thread's next call.
template <typename M>
inline const std::string &scratch_encode(const M &message) {
    thread_local std::string scratch;
    scratch.clear();
    message.encode(scratch);
    return scratch;
}

inline const std::uint8_t *bytes(const std::string &s) noexcept {
    return reinterpret_cast<const std::uint8_t *>(s.data());
}

/// Decodes an event handed over by the library; a malformed one (which the library never
/// sends) becomes an `error` event so that a handler still hears about it.
inline void decode_event(const std::uint8_t *data, std::size_t len, v1::Event &event) {
    if (!event.decode(data, len)) {
        event = v1::Event{};
        event.kind_case = v1::Event::KindCase::kError;
        event.error.status = HAPTIX_STATUS_ERROR_INVALID_PROTOBUF;
        event.error.message = "haptix C++: the library sent an event that does not decode";
    }
}

/// What an event callback registration owns: the handler, freed by the library (through
/// delete_box) exactly once, when the registration is replaced or its handle freed.
struct EventBox {
    std::function<void(const v1::Event &)> handler;
};

inline void event_trampoline(void *user_data, const std::uint8_t *data, std::size_t len) {
    auto *box = static_cast<EventBox *>(user_data);
    v1::Event event;
    decode_event(data, len, event);
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
    try {
        box->handler(event);
    } catch (...) {
        // An exception must not unwind into the library; there is no caller to give it to.
    }
#else
    box->handler(event);
#endif
}

inline void delete_event_box(void *user_data) { delete static_cast<EventBox *>(user_data); }

/// Result of a next_event call: an event, nothing (timeout), or an error.
inline Result<std::optional<v1::Event>> take_event(haptix_status status, Buffer &buffer,
                                                   const char *what) {
    if (status == HAPTIX_STATUS_TIMEOUT) {
        return std::optional<v1::Event>();
    }
    if (status != HAPTIX_STATUS_OK) {
        if (status == HAPTIX_STATUS_CLOSED) {
            return Error{status, "the event stream has ended"};
        }
        return last_error(status, what);
    }
    std::optional<v1::Event> event(std::in_place);
    if (!event->decode(buffer.data(), buffer.size())) {
        return Error{HAPTIX_STATUS_ERROR_INVALID_PROTOBUF,
                     "haptix C++: the library sent an event that does not decode"};
    }
    return event;
}

}  // namespace detail

/// Handler of a context's or client's events. Runs on the context's dispatcher thread, one
/// event at a time, in order; the event is borrowed for the call (copy what you keep). It may
/// call any function of the binding, including Client::call on any client, Context::shutdown,
/// and destroying the Client it is registered on (the client is freed once the handler
/// returns); waiting for the next *event* from inside it (next_event with a non-zero timeout)
/// fails with HAPTIX_STATUS_ERROR_WOULD_DEADLOCK. Destroy a Context from outside its handlers
/// (shut it down from inside one instead). It must not throw: an exception that escapes it is
/// caught and dropped.
using EventHandler = std::function<void(const v1::Event &)>;

/// Options of a context: every field is optional. A builder over the ContextOptions message
/// (`message` is public for fields without a setter).
class ContextOptions {
public:
    /// Adds a simulated device presenting `identifier` ("LVS-Hush", "serial:PORT",
    /// "hid:VID:PID"...), reachable under `address` (generated when empty) in simulated-device
    /// requests. Found when a client scans.
    ContextOptions &simulated_device(std::string identifier, std::string address = {}) {
        v1::SimulatedDevice device;
        device.identifier = std::move(identifier);
        device.address = std::move(address);
        message.simulated_devices.push_back(std::move(device));
        return *this;
    }
    /// Watches a hardware bus (without any, only simulated devices are found).
    ContextOptions &bus(v1::CommManager manager) {
        message.comm_managers.push_back(manager);
        return *this;
    }
    /// Loads the device database from a JSON file (the official format, v4 or v5).
    ContextOptions &device_config_file(std::string path) {
        message.device_config_path = std::move(path);
        message.device_config_case = v1::ContextOptions::DeviceConfigCase::kDeviceConfigPath;
        return *this;
    }
    /// Uses the device database given as JSON bytes.
    ContextOptions &device_config_json(std::string json) {
        message.device_config_json = std::move(json);
        message.device_config_case = v1::ContextOptions::DeviceConfigCase::kDeviceConfigJson;
        return *this;
    }
    /// Layers a user device configuration file over the database.
    ContextOptions &user_config_file(std::string path) {
        message.user_config_path = std::move(path);
        message.user_config_case = v1::ContextOptions::UserConfigCase::kUserConfigPath;
        return *this;
    }
    /// Layers a user device configuration given as JSON bytes over the database.
    ContextOptions &user_config_json(std::string json) {
        message.user_config_json = std::move(json);
        message.user_config_case = v1::ContextOptions::UserConfigCase::kUserConfigJson;
        return *this;
    }
    /// How much the library logs to the context's event stream (default warnings).
    ContextOptions &log_level(v1::LogLevel level) {
        message.log_level = level;
        return *this;
    }
    /// The name the embedded server gives in its handshake (default "Haptix").
    ContextOptions &server_name(std::string name) {
        message.server_name = std::move(name);
        return *this;
    }

    /// Ping timeout of the embedded server in ms; 0 (the default) disables the watchdog.
    ContextOptions &max_ping_time_ms(std::uint32_t ms) {
        message.max_ping_time_ms = ms;
        return *this;
    }
    /// Worker threads of the context's runtime; 0 (the default) means 2.
    ContextOptions &worker_threads(std::uint32_t count) {
        message.worker_threads = count;
        return *this;
    }
    /// Listen address of the WebSocket device bus (v1::CommManager::kWebsocketDevices);
    /// default "127.0.0.1:54817", port 0 picks a free one.
    ContextOptions &websocket_devices_address(std::string address) {
        message.websocket_devices_address = std::move(address);
        return *this;
    }
    /// Adds the address ("host:port") of a Lovense Connect app, for
    /// v1::CommManager::kLovenseConnect.
    ContextOptions &lovense_connect_address(std::string address) {
        message.lovense_connect_addresses.push_back(std::move(address));
        return *this;
    }
    /// Serial port of the Lovense USB dongle (v1::CommManager::kLovenseDongleSerial); without
    /// it the dongle is found by its USB ids.
    ContextOptions &lovense_dongle_port(std::string port) {
        message.lovense_dongle_port = std::move(port);
        return *this;
    }

    /// The message passed to haptix_context_new.
    v1::ContextOptions message;
};

/// Owns a haptix_context: the runtime, the embedded server with its devices, and the
/// dispatcher thread that runs event handlers. Move-only; destroying it (or reset()) shuts the
/// context down (bounded, about 2 s) and frees it, which also frees the C handles of its
/// clients and servers: destroy those owners first, or at least do not use them afterwards
/// (their destructors are then harmless). Methods may be called from any thread; destruction
/// must not race with other calls on the same context.
class Context {
public:
    /// Creates a context. Checks the library's ABI version first, so that a mismatched library
    /// gives HAPTIX_STATUS_ERROR_ABI_MISMATCH with both versions in the message.
    static Result<Context> create(const ContextOptions &options = ContextOptions()) {
        const std::uint32_t abi = haptix_abi_version();
        if (abi != HAPTIX_ABI_VERSION) {
            return Error{HAPTIX_STATUS_ERROR_ABI_MISMATCH,
                         "the haptix library implements C ABI " + std::to_string(abi) +
                             " but this binding was built for C ABI " +
                             std::to_string(HAPTIX_ABI_VERSION)};
        }
        std::string bytes = options.message.encode();
        haptix_context *raw = nullptr;
        const haptix_status status = haptix_context_new(
            HAPTIX_ABI_VERSION, bytes.empty() ? nullptr : detail::bytes(bytes), bytes.size(), &raw);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_context_new");
        }
        return Context(raw);
    }

    /// Takes ownership of a handle from haptix_context_new (nullptr gives an empty owner).
    explicit Context(haptix_context *raw) noexcept : handle_(raw) {}
    Context() noexcept = default;
    Context(Context &&) noexcept = default;
    Context &operator=(Context &&) noexcept = default;
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;
    ~Context() = default;

    /// Stops every device output, ends every client's stream (each gets its last events) and
    /// server, and the context's threads; blocks up to about `timeout_ms`. Afterwards calls on
    /// it and its clients fail with HAPTIX_STATUS_ERROR_SHUT_DOWN (queued events can still be
    /// taken). Calling it again succeeds at once.
    Result<void> shutdown(std::uint32_t timeout_ms = 2000) {
        const haptix_status status = haptix_context_shutdown(handle_.get(), timeout_ms);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_context_shutdown");
        }
        return {};
    }

    /// Takes the next context event (log records) in poll mode. `timeout_ms` 0 returns at once,
    /// kNoTimeout waits without limit. Returns an empty optional on timeout and an error with
    /// HAPTIX_STATUS_CLOSED once the context is shut down and drained.
    Result<std::optional<v1::Event>> next_event(std::uint32_t timeout_ms = 0) {
        detail::Buffer buffer;
        const haptix_status status = haptix_context_next_event(handle_.get(), timeout_ms, buffer.out());
        return detail::take_event(status, buffer, "haptix_context_next_event");
    }

    /// Delivers the context's events to `handler` on the dispatcher thread instead of the
    /// queue (see EventHandler). An empty handler returns to polling. The context owns the
    /// handler until it is replaced or the context is freed.
    Result<void> on_event(EventHandler handler) {
        haptix_status status;
        if (!handler) {
            status = haptix_context_set_event_callback(handle_.get(), nullptr, nullptr, nullptr);
        } else {
            auto *box = new detail::EventBox{std::move(handler)};
            // The library owns `box` from here on, whatever the call returns.
            status = haptix_context_set_event_callback(handle_.get(), detail::event_trampoline, box,
                                                       detail::delete_event_box);
        }
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_context_set_event_callback");
        }
        return {};
    }

    /// The C handle (still owned by this object), or nullptr when empty.
    haptix_context *get() const noexcept { return handle_.get(); }
    /// Gives up ownership: the caller must haptix_context_free the returned handle.
    haptix_context *release() noexcept { return handle_.release(); }
    /// Shuts down and frees the context now (as the destructor does).
    void reset() noexcept { handle_.reset(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    struct Free {
        void operator()(haptix_context *c) const noexcept { haptix_context_free(c); }
    };
    std::unique_ptr<haptix_context, Free> handle_;
};

/// Options of a Buttplug WebSocket server.
struct ServerOptions {
    /// Address to listen on; port 0 picks a free port (read it with Server::port()).
    std::string listen_address = "127.0.0.1:12345";
    /// Largest accepted frame in bytes; 0 means the library default.
    std::uint32_t max_message_size = 0;
};

/// Owns a haptix_server: a Buttplug WebSocket server (JSON protocol, spec v0 to v4) giving
/// one remote client at a time the context's devices. Move-only; destroying it stops the
/// server (bounded, about 2 s) and frees it. Methods may be called from any thread.
class Server {
public:
    /// Starts a server on `context` and waits until it listens.
    static Result<Server> start(Context &context, const ServerOptions &options = ServerOptions()) {
        v1::ServerOptions message;
        message.listen_address = options.listen_address;
        message.max_message_size = options.max_message_size;
        const std::string bytes = message.encode();
        haptix_server *raw = nullptr;
        const haptix_status status = haptix_server_new(
            context.get(), bytes.empty() ? nullptr : detail::bytes(bytes), bytes.size(), &raw);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_server_new");
        }
        return Server(raw);
    }

    /// Takes ownership of a handle from haptix_server_new (nullptr gives an empty owner).
    explicit Server(haptix_server *raw) noexcept : handle_(raw) {}
    Server() noexcept = default;
    Server(Server &&) noexcept = default;
    Server &operator=(Server &&) noexcept = default;
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;
    ~Server() = default;

    /// The TCP port the server listens on.
    Result<std::uint16_t> port() const {
        std::uint16_t port = 0;
        const haptix_status status = haptix_server_port(handle_.get(), &port);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_server_port");
        }
        return port;
    }
    /// "ws://127.0.0.1:PORT" for a server listening on the loopback address.
    Result<std::string> loopback_url() const {
        Result<std::uint16_t> p = port();
        if (!p) {
            return p.error();
        }
        return "ws://127.0.0.1:" + std::to_string(*p);
    }

    /// Stops accepting connections and disconnects the connected client (its devices stop);
    /// blocks up to about `timeout_ms`. Stopping twice succeeds.
    Result<void> stop(std::uint32_t timeout_ms = 2000) {
        const haptix_status status = haptix_server_stop(handle_.get(), timeout_ms);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_server_stop");
        }
        return {};
    }

    /// The C handle (still owned by this object), or nullptr when empty.
    haptix_server *get() const noexcept { return handle_.get(); }
    /// Gives up ownership: the caller must haptix_server_free the returned handle.
    haptix_server *release() noexcept { return handle_.release(); }
    /// Stops and frees the server now (as the destructor does).
    void reset() noexcept { handle_.reset(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    struct Free {
        void operator()(haptix_server *s) const noexcept { haptix_server_free(s); }
    };
    std::unique_ptr<haptix_server, Free> handle_;
};

}  // namespace haptix

#endif  // HAPTIX_CONTEXT_HPP
