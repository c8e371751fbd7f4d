// haptix/client.hpp: haptix::Client (a connection to the embedded server or to a ws:// server),
// haptix::Device (a connected device and its typed features) and the request builders of
// haptix::request.
//
// Two ways to get a response, as in docs/event-model.md:
//   - send() (and the command methods such as vibrate()) return the request's id at once; the
//     response arrives later as an event of kind `response` with that id;
//   - call() (and the helpers built on it: device_list(), read_input(), battery(), take_writes()
//     ...) block until the response and return it. They use haptix_client_call, which works on
//     any thread, including inside an event handler on the dispatcher thread.

#ifndef HAPTIX_CLIENT_HPP
#define HAPTIX_CLIENT_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "haptix.h"
#include "haptix/context.hpp"
#include "haptix/messages.hpp"
#include "haptix/result.hpp"

namespace haptix {

namespace detail {

/// Decodes an encoded Event of kind `response` into `response`; false when the bytes are
/// malformed or hold no response. Fields of the Event other than `response` are skipped (the
/// library's answer to haptix_client_call carries only request_id and response).
inline bool decode_response_event(const std::uint8_t *data, std::size_t len, v1::Response &response) {
    wire::Reader reader(data, len);
    bool found = false;
    while (!reader.at_end()) {
        std::uint32_t number = 0;
        std::uint32_t type = 0;
        if (!reader.tag(number, type)) {
            return false;
        }
        if (number == static_cast<std::uint32_t>(v1::Event::KindCase::kResponse) && type == wire::kLengthDelimited) {
            if (!reader.message(response)) {
                return false;
            }
            found = true;
        } else if (!reader.skip(number, type)) {
            return false;
        }
    }
    return found;
}

/// What Client::call returns for the encoded answer of haptix_client_call: the Response,
/// decoded straight into the Result (only the Event's `response` member is read, and the
/// Response is neither copied nor moved), or an Error carrying a refused request's status and
/// message, or HAPTIX_STATUS_ERROR_INVALID_PROTOBUF for bytes that hold no response.
inline Result<v1::Response> response_result(const std::uint8_t *data, std::size_t len) {
    // One named Result on every path, so that it is built in the caller's return slot.
    Result<v1::Response> result(std::in_place);
    if (!decode_response_event(data, len, *result)) {
        result = Error{HAPTIX_STATUS_ERROR_INVALID_PROTOBUF,
                       "haptix C++: haptix_client_call returned something other than a response"};
    } else if (result->status != HAPTIX_STATUS_OK) {
        result = Error{static_cast<Status>(result->status), std::move(result->message)};
    }
    return result;
}

}  // namespace detail

/// The id of a request, echoed in its response event (Event::request_id).
using RequestId = std::uint64_t;

/// Builders of the haptix.v1 requests. Each returns a Request with id 0 (the library picks
/// one); pass it to Client::send or Client::call. None allocates.
namespace request {

inline v1::Request start_scanning() {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kStartScanning;
    return r;
}
inline v1::Request stop_scanning() {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kStopScanning;
    return r;
}
/// Answered with Response::device_list.
inline v1::Request request_device_list() {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kRequestDeviceList;
    return r;
}
/// Drives an output at `level` (0.0 to 1.0; -1.0 to 1.0 for signed ranges such as rotation
/// direction), mapped onto the feature's step range. Without `feature`, every feature of the
/// device with that output type.
inline v1::Request output(std::uint32_t device, v1::OutputType type, double level,
                          std::optional<std::uint32_t> feature = std::nullopt) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kOutput;
    r.output.device_index = device;
    r.output.feature_index = feature;
    r.output.output_type = type;
    r.output.level = level;
    r.output.value_case = v1::Output::ValueCase::kLevel;
    return r;
}
/// Drives an output at a raw step value inside the feature's range.
inline v1::Request output_steps(std::uint32_t device, v1::OutputType type, std::int32_t steps,
                                std::optional<std::uint32_t> feature = std::nullopt) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kOutput;
    r.output.device_index = device;
    r.output.feature_index = feature;
    r.output.output_type = type;
    r.output.steps = steps;
    r.output.value_case = v1::Output::ValueCase::kSteps;
    return r;
}
inline v1::Request vibrate(std::uint32_t device, double level,
                           std::optional<std::uint32_t> feature = std::nullopt) {
    return output(device, v1::OutputType::kVibrate, level, feature);
}
/// `speed` -1.0 to 1.0: the sign is the direction where the device has one.
inline v1::Request rotate(std::uint32_t device, double speed,
                          std::optional<std::uint32_t> feature = std::nullopt) {
    return output(device, v1::OutputType::kRotate, speed, feature);
}
inline v1::Request oscillate(std::uint32_t device, double level,
                             std::optional<std::uint32_t> feature = std::nullopt) {
    return output(device, v1::OutputType::kOscillate, level, feature);
}
/// Moves to `position` (0.0 to 1.0) over `duration_ms` (OUTPUT_TYPE_HW_POSITION_WITH_DURATION).
inline v1::Request position(std::uint32_t device, double position, std::uint32_t duration_ms,
                            std::optional<std::uint32_t> feature = std::nullopt) {
    v1::Request r = output(device, v1::OutputType::kHwPositionWithDuration, position, feature);
    r.output.duration_ms = duration_ms;
    return r;
}
/// Reads, subscribes to or unsubscribes from an input. Without `feature`, the first feature
/// with that input type. A read is answered with Response::reading.
inline v1::Request input(std::uint32_t device, v1::InputType type, v1::InputCommand command,
                         std::optional<std::uint32_t> feature = std::nullopt) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kInput;
    r.input.device_index = device;
    r.input.feature_index = feature;
    r.input.input_type = type;
    r.input.command = command;
    return r;
}
inline v1::Request read_input(std::uint32_t device, v1::InputType type,
                              std::optional<std::uint32_t> feature = std::nullopt) {
    return input(device, type, v1::InputCommand::kRead, feature);
}
/// Reading in percent (0 to 100) in Response::reading.
inline v1::Request battery(std::uint32_t device) { return read_input(device, v1::InputType::kBattery); }
/// Reading in dBm in Response::reading.
inline v1::Request rssi(std::uint32_t device) { return read_input(device, v1::InputType::kRssi); }
/// Subscribed readings arrive as `input_reading` events.
inline v1::Request subscribe(std::uint32_t device, v1::InputType type,
                             std::optional<std::uint32_t> feature = std::nullopt) {
    return input(device, type, v1::InputCommand::kSubscribe, feature);
}
inline v1::Request unsubscribe(std::uint32_t device, v1::InputType type,
                               std::optional<std::uint32_t> feature = std::nullopt) {
    return input(device, type, v1::InputCommand::kUnsubscribe, feature);
}
/// Stops a device's outputs and/or input subscriptions (both by default).
inline v1::Request stop_device(std::uint32_t device, bool inputs = true, bool outputs = true) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kStopDevice;
    r.stop_device.device_index = device;
    r.stop_device.inputs = inputs;
    r.stop_device.outputs = outputs;
    return r;
}
/// Stops every device's outputs and/or input subscriptions (both by default).
inline v1::Request stop_all(bool inputs = true, bool outputs = true) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kStopAll;
    r.stop_all.inputs = inputs;
    r.stop_all.outputs = outputs;
    return r;
}
inline v1::Request ping() {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kPing;
    return r;
}
/// Closes the connection; the server stops every device and a `disconnected` event follows.
inline v1::Request disconnect() {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kDisconnect;
    return r;
}
/// Embedded server only: adds a simulated device (found by the next scan). Answered with
/// Response::simulated_device.
inline v1::Request add_simulated_device(std::string identifier, std::string address = {}) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kAddSimulatedDevice;
    r.add_simulated_device.device.emplace();
    r.add_simulated_device.device->identifier = std::move(identifier);
    r.add_simulated_device.device->address = std::move(address);
    return r;
}
/// Embedded server only: removes a simulated device (a connected one disconnects).
inline v1::Request remove_simulated_device(std::string address) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kRemoveSimulatedDevice;
    r.remove_simulated_device.address = std::move(address);
    return r;
}
/// Embedded server only: makes a simulated device send `data` on `endpoint` ("rx").
inline v1::Request inject_notification(std::string address, std::string endpoint, std::string data) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kInjectNotification;
    r.inject_notification.address = std::move(address);
    r.inject_notification.endpoint = std::move(endpoint);
    r.inject_notification.data = std::move(data);
    return r;
}
/// Embedded server only: returns and clears what a simulated device received (Response::writes).
inline v1::Request take_writes(std::string address) {
    v1::Request r;
    r.kind_case = v1::Request::KindCase::kTakeWrites;
    r.take_writes.address = std::move(address);
    return r;
}

}  // namespace request

/// A connected device as a value: its index, names and typed features (a copy of the
/// haptix.v1.Device the server announced). Commands go through the Client, by index().
class Device {
public:
    Device() = default;
    explicit Device(v1::Device info) : info_(std::move(info)) {}

    /// The index the server gave the device; requests address the device by it.
    std::uint32_t index() const noexcept { return info_.index; }
    /// The device's name in the database ("Lovense Hush").
    const std::string &name() const noexcept { return info_.name; }
    /// The user's name for it, empty when none is configured.
    const std::string &display_name() const noexcept { return info_.display_name; }
    /// display_name() when set, else name().
    const std::string &label() const noexcept {
        return info_.display_name.empty() ? info_.name : info_.display_name;
    }
    /// Hardware address (embedded server only; empty for a remote server).
    const std::string &address() const noexcept { return info_.address; }
    /// Minimum gap between two commands the device accepts, in ms.
    std::uint32_t message_timing_gap_ms() const noexcept { return info_.message_timing_gap_ms; }
    const std::vector<v1::Feature> &features() const noexcept { return info_.features; }
    /// The whole message.
    const v1::Device &info() const noexcept { return info_; }

    /// The features with an output of `type`, in order (pointers into this object).
    std::vector<const v1::Feature *> features_with_output(v1::OutputType type) const {
        std::vector<const v1::Feature *> found;
        for (const v1::Feature &f : info_.features) {
            for (const v1::FeatureOutput &o : f.outputs) {
                if (o.output_type == type) {
                    found.push_back(&f);
                    break;
                }
            }
        }
        return found;
    }
    /// The features with an input of `type`, in order (pointers into this object).
    std::vector<const v1::Feature *> features_with_input(v1::InputType type) const {
        std::vector<const v1::Feature *> found;
        for (const v1::Feature &f : info_.features) {
            for (const v1::FeatureInput &i : f.inputs) {
                if (i.input_type == type) {
                    found.push_back(&f);
                    break;
                }
            }
        }
        return found;
    }
    bool has_output(v1::OutputType type) const { return output(type) != nullptr; }
    bool has_input(v1::InputType type) const { return input(type) != nullptr; }
    /// The first output of `type` (with its step range), or nullptr.
    const v1::FeatureOutput *output(v1::OutputType type) const noexcept {
        for (const v1::Feature &f : info_.features) {
            for (const v1::FeatureOutput &o : f.outputs) {
                if (o.output_type == type) {
                    return &o;
                }
            }
        }
        return nullptr;
    }
    /// The first input of `type`, or nullptr.
    const v1::FeatureInput *input(v1::InputType type) const noexcept {
        for (const v1::Feature &f : info_.features) {
            for (const v1::FeatureInput &i : f.inputs) {
                if (i.input_type == type) {
                    return &i;
                }
            }
        }
        return nullptr;
    }

private:
    v1::Device info_;
};

/// Options of a client.
struct ClientOptions {
    /// Name sent in the handshake.
    std::string name = "Haptix C++ client";
    /// How long a request waits for the server's answer before it completes with
    /// HAPTIX_STATUS_ERROR_TIMED_OUT, in ms; 0 means the library default (10 s).
    std::uint32_t request_timeout_ms = 0;
};

/// Handler told that a client's event queue went from empty to non-empty (poll mode), on the
/// dispatcher thread; drain with next_event(0). Same rules as EventHandler.
using WakeupHandler = std::function<void()>;

/// Owns a haptix_client: a connection to a server, its requests and its event stream.
/// Move-only; destroying it (or reset()) closes the connection (the server stops the devices
/// it drove), cancels unanswered requests, waits for a handler of this client running on
/// another thread and frees the handlers. Events are taken by polling (next_event, the
/// default, for game loops) or delivered to a handler (on_event). Every method may be called
/// from any thread, concurrently; destruction must not race with other calls on the same
/// client, but may happen inside the client's own handler.
class Client {
public:
    /// Connects to the context's embedded server. Never blocks: the first event is
    /// `connected` (or `disconnected` when it fails); requests sent before that are queued.
    static Result<Client> connect_embedded(Context &context, const ClientOptions &options = ClientOptions()) {
        v1::ClientOptions message;
        message.client_name = options.name;
        message.request_timeout_ms = options.request_timeout_ms;
        message.server_case = v1::ClientOptions::ServerCase::kEmbedded;
        return create(context, message);
    }
    /// Connects to a Buttplug server at `url` ("ws://127.0.0.1:12345"). Never blocks; as
    /// connect_embedded. A URL that is not ws:// or wss:// fails with
    /// HAPTIX_STATUS_ERROR_INVALID_ARGUMENT.
    static Result<Client> connect(Context &context, std::string url,
                                  const ClientOptions &options = ClientOptions()) {
        v1::ClientOptions message;
        message.client_name = options.name;
        message.request_timeout_ms = options.request_timeout_ms;
        message.websocket_url = std::move(url);
        message.server_case = v1::ClientOptions::ServerCase::kWebsocketUrl;
        return create(context, message);
    }

    /// Takes ownership of a handle from haptix_client_new (nullptr gives an empty owner).
    explicit Client(haptix_client *raw) noexcept : handle_(raw) {}
    Client() noexcept = default;
    Client(Client &&) noexcept = default;
    Client &operator=(Client &&) noexcept = default;
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() = default;

    // Requests -------------------------------------------------------------------------------

    /// Sends a request without waiting; returns its id. Its response arrives as an event of
    /// kind `response` with that id. An id of 0 in `request` lets the library pick one.
    /// HAPTIX_STATUS_CLOSED when the client is disconnected. Allocates nothing once the
    /// calling thread has sent a request of that size.
    Result<RequestId> send(const v1::Request &request) {
        const std::string &bytes = detail::scratch_encode(request);
        RequestId id = 0;
        const haptix_status status =
            haptix_client_send(handle_.get(), detail::bytes(bytes), bytes.size(), &id);
        if (status != HAPTIX_STATUS_OK) {
            if (status == HAPTIX_STATUS_CLOSED) {
                return Error{status, "the client is disconnected"};
            }
            return detail::last_error(status, "haptix_client_send");
        }
        return id;
    }

    /// Sends a request and waits for its response (at most `timeout_ms`; kNoTimeout leaves
    /// only the client's request timeout). The response never appears in the event stream.
    /// A response whose status is not OK becomes an Error with that status and message.
    /// Works from any thread, including inside this or another client's event handler.
    Result<v1::Response> call(const v1::Request &request, std::uint32_t timeout_ms = kNoTimeout) {
        const std::string &bytes = detail::scratch_encode(request);
        detail::Buffer out;
        const haptix_status status = haptix_client_call(handle_.get(), detail::bytes(bytes),
                                                        bytes.size(), timeout_ms, out.out());
        if (status != HAPTIX_STATUS_OK) {
            if (status == HAPTIX_STATUS_CLOSED) {
                return Error{status, "the client is disconnected"};
            }
            return detail::last_error(status, "haptix_client_call");
        }
        return detail::response_result(out.data(), out.size());
    }

    // Commands: send() with a built request; each returns the request's id. ------------------

    Result<RequestId> start_scanning() { return send(request::start_scanning()); }
    Result<RequestId> stop_scanning() { return send(request::stop_scanning()); }
    Result<RequestId> request_device_list() { return send(request::request_device_list()); }
    Result<RequestId> vibrate(std::uint32_t device, double level,
                              std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::vibrate(device, level, feature));
    }
    Result<RequestId> rotate(std::uint32_t device, double speed,
                             std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::rotate(device, speed, feature));
    }
    Result<RequestId> oscillate(std::uint32_t device, double level,
                                std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::oscillate(device, level, feature));
    }
    Result<RequestId> position(std::uint32_t device, double position, std::uint32_t duration_ms,
                               std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::position(device, position, duration_ms, feature));
    }
    Result<RequestId> output(std::uint32_t device, v1::OutputType type, double level,
                             std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::output(device, type, level, feature));
    }
    Result<RequestId> output_steps(std::uint32_t device, v1::OutputType type, std::int32_t steps,
                                   std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::output_steps(device, type, steps, feature));
    }
    Result<RequestId> subscribe(std::uint32_t device, v1::InputType type,
                                std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::subscribe(device, type, feature));
    }
    Result<RequestId> unsubscribe(std::uint32_t device, v1::InputType type,
                                  std::optional<std::uint32_t> feature = std::nullopt) {
        return send(request::unsubscribe(device, type, feature));
    }
    Result<RequestId> stop_device(std::uint32_t device, bool inputs = true, bool outputs = true) {
        return send(request::stop_device(device, inputs, outputs));
    }
    Result<RequestId> stop_all(bool inputs = true, bool outputs = true) {
        return send(request::stop_all(inputs, outputs));
    }
    Result<RequestId> ping() { return send(request::ping()); }
    Result<RequestId> disconnect() { return send(request::disconnect()); }

    // Waiting helpers: call() with a built request; each returns the response's content. ----

    /// The connected devices.
    Result<std::vector<Device>> device_list(std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r = call(request::request_device_list(), timeout_ms);
        if (!r) {
            return r.error();
        }
        std::vector<Device> devices;
        for (v1::Device &d : r->device_list.devices) {
            devices.emplace_back(std::move(d));
        }
        return devices;
    }
    /// Reads an input once: battery in percent, RSSI in dBm, button 0 or 1, pressure raw.
    Result<std::int64_t> read_input(std::uint32_t device, v1::InputType type,
                                    std::optional<std::uint32_t> feature = std::nullopt,
                                    std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r = call(request::read_input(device, type, feature), timeout_ms);
        if (!r) {
            return r.error();
        }
        if (r->result_case != v1::Response::ResultCase::kReading) {
            return Error{HAPTIX_STATUS_ERROR_PROTOCOL, "the read was answered without a reading"};
        }
        return r->reading.value;
    }
    /// Battery level in percent (0 to 100).
    Result<std::int64_t> battery(std::uint32_t device, std::uint32_t timeout_ms = kNoTimeout) {
        return read_input(device, v1::InputType::kBattery, std::nullopt, timeout_ms);
    }
    /// Signal strength in dBm.
    Result<std::int64_t> rssi(std::uint32_t device, std::uint32_t timeout_ms = kNoTimeout) {
        return read_input(device, v1::InputType::kRssi, std::nullopt, timeout_ms);
    }
    /// Embedded server only: adds a simulated device; returns its address.
    Result<std::string> add_simulated_device(std::string identifier, std::string address = {},
                                             std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r =
            call(request::add_simulated_device(std::move(identifier), std::move(address)), timeout_ms);
        if (!r) {
            return r.error();
        }
        return std::move(r->simulated_device.address);
    }
    /// Embedded server only: removes a simulated device.
    Result<void> remove_simulated_device(std::string address, std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r = call(request::remove_simulated_device(std::move(address)), timeout_ms);
        if (!r) {
            return r.error();
        }
        return {};
    }
    /// Embedded server only: makes a simulated device send a notification.
    Result<void> inject_notification(std::string address, std::string endpoint, std::string data,
                                     std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r = call(
            request::inject_notification(std::move(address), std::move(endpoint), std::move(data)),
            timeout_ms);
        if (!r) {
            return r.error();
        }
        return {};
    }
    /// Embedded server only: returns and clears what a simulated device received.
    Result<std::vector<v1::Write>> take_writes(std::string address, std::uint32_t timeout_ms = kNoTimeout) {
        Result<v1::Response> r = call(request::take_writes(std::move(address)), timeout_ms);
        if (!r) {
            return r.error();
        }
        return std::move(r->writes.writes);
    }

    // Events ---------------------------------------------------------------------------------

    /// Takes the next event in poll mode: `timeout_ms` 0 returns at once (for a game loop),
    /// kNoTimeout waits without limit. An empty optional on timeout; an error with
    /// HAPTIX_STATUS_CLOSED once disconnected and every event taken;
    /// HAPTIX_STATUS_ERROR_INVALID_ARGUMENT while an event handler is set;
    /// HAPTIX_STATUS_ERROR_WOULD_DEADLOCK for a non-zero timeout inside a handler.
    Result<std::optional<v1::Event>> next_event(std::uint32_t timeout_ms = 0) {
        detail::Buffer buffer;
        const haptix_status status = haptix_client_next_event(handle_.get(), timeout_ms, buffer.out());
        return detail::take_event(status, buffer, "haptix_client_next_event");
    }

    /// Delivers this client's events to `handler` on the context's dispatcher thread, in
    /// order, instead of queueing them (events already queued go to it too); see EventHandler.
    /// An empty handler returns to polling. The client owns the handler until it is replaced or
    /// the client is destroyed (after any running call of it returned), so it may capture
    /// anything that outlives the client.
    Result<void> on_event(EventHandler handler) {
        haptix_status status;
        if (!handler) {
            status = haptix_client_set_event_callback(handle_.get(), nullptr, nullptr, nullptr);
        } else {
            auto *box = new detail::EventBox{std::move(handler)};
            // The library owns `box` from here on, whatever the call returns.
            status = haptix_client_set_event_callback(handle_.get(), detail::event_trampoline, box,
                                                      detail::delete_event_box);
        }
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_client_set_event_callback");
        }
        return {};
    }

    /// Calls `handler` on the dispatcher thread whenever the event queue goes from empty to
    /// non-empty (poll mode), so a loop can sleep until there is something to drain. An empty
    /// handler removes it. Owned by the client like on_event's handler.
    Result<void> on_wakeup(WakeupHandler handler) {
        haptix_status status;
        if (!handler) {
            status = haptix_client_set_wakeup_callback(handle_.get(), nullptr, nullptr, nullptr);
        } else {
            auto *box = new WakeupBox{std::move(handler)};
            status = haptix_client_set_wakeup_callback(handle_.get(), &Client::wakeup_trampoline, box,
                                                       &Client::delete_wakeup_box);
        }
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_client_set_wakeup_callback");
        }
        return {};
    }

    /// The C handle (still owned by this object), or nullptr when empty.
    haptix_client *get() const noexcept { return handle_.get(); }
    /// Gives up ownership: the caller must haptix_client_free the returned handle.
    haptix_client *release() noexcept { return handle_.release(); }
    /// Closes and frees the client now (as the destructor does).
    void reset() noexcept { handle_.reset(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    static Result<Client> create(Context &context, const v1::ClientOptions &options) {
        const std::string bytes = options.encode();
        haptix_client *raw = nullptr;
        const haptix_status status =
            haptix_client_new(context.get(), detail::bytes(bytes), bytes.size(), &raw);
        if (status != HAPTIX_STATUS_OK) {
            return detail::last_error(status, "haptix_client_new");
        }
        return Client(raw);
    }

    struct WakeupBox {
        WakeupHandler handler;
    };
    static void wakeup_trampoline(void *user_data) {
        auto *box = static_cast<WakeupBox *>(user_data);
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
        try {
            box->handler();
        } catch (...) {
            // Must not unwind into the library.
        }
#else
        box->handler();
#endif
    }
    static void delete_wakeup_box(void *user_data) { delete static_cast<WakeupBox *>(user_data); }

    struct Free {
        void operator()(haptix_client *c) const noexcept { haptix_client_free(c); }
    };
    std::unique_ptr<haptix_client, Free> handle_;
};

}  // namespace haptix

#endif  // HAPTIX_CLIENT_HPP
