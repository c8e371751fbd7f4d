// haptix/messages.hpp: the haptix.v1 protobuf messages for C++, without libprotobuf.
//
// GENERATED FILE: produced by bindings/cpp/tools/gen_codec.py from proto/haptix/v1/
// (device.proto, event.proto, options.proto, request.proto).
// Do not edit by hand; run the tool after changing the schema (its --check option tells
// whether this file is stale).
//
// Every message is a plain struct. Scalars and enums are members with their proto3 default;
// `optional` fields and singular message fields are std::optional; repeated fields are
// std::vector; a oneof is an enum `<name>_case` telling which of its members is set (the
// others keep their defaults and are not encoded). Fields this schema does not know are kept
// in `unknown_fields` when decoding and written back when encoding. Enums are open, as in
// proto3: a value the schema does not name is kept as its number.
//
// encode() appends to a std::string that the caller owns (reuse one to avoid allocating);
// decode() reads from borrowed bytes and returns false on malformed input. Neither throws,
// and both are safe to call from any thread on distinct objects.

#ifndef HAPTIX_MESSAGES_HPP
#define HAPTIX_MESSAGES_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "haptix/wire.hpp"

namespace haptix {
namespace v1 {

/// What an output feature does.
enum class OutputType : std::int32_t {
    kUnspecified = 0,  // OUTPUT_TYPE_UNSPECIFIED
    kVibrate = 1,  // OUTPUT_TYPE_VIBRATE
    kRotate = 2,  // OUTPUT_TYPE_ROTATE
    kOscillate = 3,  // OUTPUT_TYPE_OSCILLATE
    kConstrict = 4,  // OUTPUT_TYPE_CONSTRICT
    kTemperature = 5,  // OUTPUT_TYPE_TEMPERATURE
    kLed = 6,  // OUTPUT_TYPE_LED
    kSpray = 7,  // OUTPUT_TYPE_SPRAY
    kPosition = 8,  // OUTPUT_TYPE_POSITION
    kHwPositionWithDuration = 9,  // OUTPUT_TYPE_HW_POSITION_WITH_DURATION
};

/// The schema's name of a OutputType value ("OUTPUT_TYPE_UNSPECIFIED"), or an empty string for a
/// number the schema does not name. The string is static.
inline const char *name(OutputType value) noexcept {
    switch (value) {
    case OutputType::kUnspecified:
        return "OUTPUT_TYPE_UNSPECIFIED";
    case OutputType::kVibrate:
        return "OUTPUT_TYPE_VIBRATE";
    case OutputType::kRotate:
        return "OUTPUT_TYPE_ROTATE";
    case OutputType::kOscillate:
        return "OUTPUT_TYPE_OSCILLATE";
    case OutputType::kConstrict:
        return "OUTPUT_TYPE_CONSTRICT";
    case OutputType::kTemperature:
        return "OUTPUT_TYPE_TEMPERATURE";
    case OutputType::kLed:
        return "OUTPUT_TYPE_LED";
    case OutputType::kSpray:
        return "OUTPUT_TYPE_SPRAY";
    case OutputType::kPosition:
        return "OUTPUT_TYPE_POSITION";
    case OutputType::kHwPositionWithDuration:
        return "OUTPUT_TYPE_HW_POSITION_WITH_DURATION";
    }
    return "";
}

/// What an input feature measures.
enum class InputType : std::int32_t {
    kUnspecified = 0,  // INPUT_TYPE_UNSPECIFIED
    kBattery = 1,  // INPUT_TYPE_BATTERY
    kRssi = 2,  // INPUT_TYPE_RSSI
    kPressure = 3,  // INPUT_TYPE_PRESSURE
    kButton = 4,  // INPUT_TYPE_BUTTON
    kDepth = 5,  // INPUT_TYPE_DEPTH
    kPosition = 6,  // INPUT_TYPE_POSITION
};

/// The schema's name of a InputType value ("INPUT_TYPE_UNSPECIFIED"), or an empty string for a
/// number the schema does not name. The string is static.
inline const char *name(InputType value) noexcept {
    switch (value) {
    case InputType::kUnspecified:
        return "INPUT_TYPE_UNSPECIFIED";
    case InputType::kBattery:
        return "INPUT_TYPE_BATTERY";
    case InputType::kRssi:
        return "INPUT_TYPE_RSSI";
    case InputType::kPressure:
        return "INPUT_TYPE_PRESSURE";
    case InputType::kButton:
        return "INPUT_TYPE_BUTTON";
    case InputType::kDepth:
        return "INPUT_TYPE_DEPTH";
    case InputType::kPosition:
        return "INPUT_TYPE_POSITION";
    }
    return "";
}

/// What can be done with an input.
enum class InputCommand : std::int32_t {
    kUnspecified = 0,  // INPUT_COMMAND_UNSPECIFIED
    kRead = 1,  // INPUT_COMMAND_READ
    kSubscribe = 2,  // INPUT_COMMAND_SUBSCRIBE
    kUnsubscribe = 3,  // INPUT_COMMAND_UNSUBSCRIBE
};

/// The schema's name of a InputCommand value ("INPUT_COMMAND_UNSPECIFIED"), or an empty string for a
/// number the schema does not name. The string is static.
inline const char *name(InputCommand value) noexcept {
    switch (value) {
    case InputCommand::kUnspecified:
        return "INPUT_COMMAND_UNSPECIFIED";
    case InputCommand::kRead:
        return "INPUT_COMMAND_READ";
    case InputCommand::kSubscribe:
        return "INPUT_COMMAND_SUBSCRIBE";
    case InputCommand::kUnsubscribe:
        return "INPUT_COMMAND_UNSUBSCRIBE";
    }
    return "";
}

/// Hardware buses a context can watch.
enum class CommManager : std::int32_t {
    kUnspecified = 0,  // COMM_MANAGER_UNSPECIFIED
    /// Virtual devices (always available; see ContextOptions.simulated_devices).
    kSimulated = 1,  // COMM_MANAGER_SIMULATED
    /// Devices that connect to a local WebSocket server and announce themselves (Intiface
    /// Engine's device WebSocket server protocol).
    kWebsocketDevices = 2,  // COMM_MANAGER_WEBSOCKET_DEVICES
    kBluetoothLe = 3,  // COMM_MANAGER_BLUETOOTH_LE
    kSerial = 4,  // COMM_MANAGER_SERIAL
    kHid = 5,  // COMM_MANAGER_HID
    /// The Lovense USB dongle, serial variant (found by its USB ids among the serial ports).
    kLovenseDongleSerial = 6,  // COMM_MANAGER_LOVENSE_DONGLE_SERIAL
    /// The Lovense USB dongle, HID variant.
    kLovenseDongleHid = 7,  // COMM_MANAGER_LOVENSE_DONGLE_HID
    /// Toys paired with the Lovense Connect app, over its local HTTP API. The app's address
    /// (host:port, comma-separated for several) is read from the environment variable
    /// HAPTIX_LOVENSE_CONNECT_ADDRESS when the context is created; without it, scanning reports
    /// the service unavailable.
    kLovenseConnect = 8,  // COMM_MANAGER_LOVENSE_CONNECT
    /// Gamepads with rumble motors (the sdl-gamepad and xinput protocols).
    kGamepad = 9,  // COMM_MANAGER_GAMEPAD
    /// Raw USB devices (the rez-trancevibrator protocol).
    kUsb = 10,  // COMM_MANAGER_USB
};

/// The schema's name of a CommManager value ("COMM_MANAGER_UNSPECIFIED"), or an empty string for a
/// number the schema does not name. The string is static.
inline const char *name(CommManager value) noexcept {
    switch (value) {
    case CommManager::kUnspecified:
        return "COMM_MANAGER_UNSPECIFIED";
    case CommManager::kSimulated:
        return "COMM_MANAGER_SIMULATED";
    case CommManager::kWebsocketDevices:
        return "COMM_MANAGER_WEBSOCKET_DEVICES";
    case CommManager::kBluetoothLe:
        return "COMM_MANAGER_BLUETOOTH_LE";
    case CommManager::kSerial:
        return "COMM_MANAGER_SERIAL";
    case CommManager::kHid:
        return "COMM_MANAGER_HID";
    case CommManager::kLovenseDongleSerial:
        return "COMM_MANAGER_LOVENSE_DONGLE_SERIAL";
    case CommManager::kLovenseDongleHid:
        return "COMM_MANAGER_LOVENSE_DONGLE_HID";
    case CommManager::kLovenseConnect:
        return "COMM_MANAGER_LOVENSE_CONNECT";
    case CommManager::kGamepad:
        return "COMM_MANAGER_GAMEPAD";
    case CommManager::kUsb:
        return "COMM_MANAGER_USB";
    }
    return "";
}

/// How much the library logs to the context's event stream.
enum class LogLevel : std::int32_t {
    /// Same as LOG_LEVEL_WARN.
    kUnspecified = 0,  // LOG_LEVEL_UNSPECIFIED
    kOff = 1,  // LOG_LEVEL_OFF
    kError = 2,  // LOG_LEVEL_ERROR
    kWarn = 3,  // LOG_LEVEL_WARN
    kInfo = 4,  // LOG_LEVEL_INFO
    kDebug = 5,  // LOG_LEVEL_DEBUG
    kTrace = 6,  // LOG_LEVEL_TRACE
};

/// The schema's name of a LogLevel value ("LOG_LEVEL_UNSPECIFIED"), or an empty string for a
/// number the schema does not name. The string is static.
inline const char *name(LogLevel value) noexcept {
    switch (value) {
    case LogLevel::kUnspecified:
        return "LOG_LEVEL_UNSPECIFIED";
    case LogLevel::kOff:
        return "LOG_LEVEL_OFF";
    case LogLevel::kError:
        return "LOG_LEVEL_ERROR";
    case LogLevel::kWarn:
        return "LOG_LEVEL_WARN";
    case LogLevel::kInfo:
        return "LOG_LEVEL_INFO";
    case LogLevel::kDebug:
        return "LOG_LEVEL_DEBUG";
    case LogLevel::kTrace:
        return "LOG_LEVEL_TRACE";
    }
    return "";
}

struct Range;
struct FeatureOutput;
struct FeatureInput;
struct Feature;
struct Device;
struct DeviceList;
struct InputReading;
struct SimulatedDeviceInfo;
struct Write;
struct Writes;
struct Response;
struct Connected;
struct Disconnected;
struct DeviceAdded;
struct DeviceRemoved;
struct ScanningFinished;
struct ErrorReport;
struct LogRecord;
struct Event;
struct SimulatedDevice;
struct ContextOptions;
struct EmbeddedServer;
struct ClientOptions;
struct ServerOptions;
struct StartScanning;
struct StopScanning;
struct RequestDeviceList;
struct Output;
struct Input;
struct StopDevice;
struct StopAll;
struct Ping;
struct Disconnect;
struct AddSimulatedDevice;
struct RemoveSimulatedDevice;
struct InjectNotification;
struct TakeWrites;
struct Request;

/// An inclusive integer range.
struct Range {
    std::int32_t min{};  // = 1
    std::int32_t max{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Range{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_int32(1, min, false);
        writer_.field_varint_int32(2, max, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(min)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(max)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// One output of a feature. Values are steps in `value`; a level of 0.0 to 1.0 in an
/// `Output` request is mapped onto this range.
struct FeatureOutput {
    OutputType output_type{};  // = 1
    std::optional<Range> value;  // = 2
    /// Present only for OUTPUT_TYPE_HW_POSITION_WITH_DURATION: allowed durations in ms.
    std::optional<Range> duration;  // = 3
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = FeatureOutput{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (value && value->has_unknown_fields()) {
            return true;
        }
        if (duration && duration->has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_enum(1, output_type, false);
        if (value.has_value()) {
            writer_.message(2, *value);
        }
        if (duration.has_value()) {
            writer_.message(3, *duration);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_enum(output_type)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!value) {
                        value.emplace();
                    }
                    if (!reader_.message(*value)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!duration) {
                        duration.emplace();
                    }
                    if (!reader_.message(*duration)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// One input of a feature.
struct FeatureInput {
    InputType input_type{};  // = 1
    std::vector<Range> value;  // = 2
    std::vector<InputCommand> commands;  // = 3
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = FeatureInput{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : value) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_enum(1, input_type, false);
        for (const auto &item_ : value) {
            writer_.message(2, item_);
        }
        writer_.packed_enum(3, commands);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_enum(input_type)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    value.emplace_back();
                    if (!reader_.message(value.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (!reader_.repeated_enum(type_, commands, known_)) {
                    return false;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// One feature of a device, addressed by its index.
struct Feature {
    std::uint32_t index{};  // = 1
    std::string description{};  // = 2
    std::vector<FeatureOutput> outputs;  // = 3
    std::vector<FeatureInput> inputs;  // = 4
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Feature{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : outputs) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        for (const auto &item_ : inputs) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, index, false);
        writer_.field_string(2, description, false);
        for (const auto &item_ : outputs) {
            writer_.message(3, item_);
        }
        for (const auto &item_ : inputs) {
            writer_.message(4, item_);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(description)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    outputs.emplace_back();
                    if (!reader_.message(outputs.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 2) {
                    inputs.emplace_back();
                    if (!reader_.message(inputs.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// A connected device. Devices are addressed by (client, index); an index that is no longer
/// connected answers HAPTIX_STATUS_ERROR_DEVICE_NOT_FOUND.
struct Device {
    std::uint32_t index{};  // = 1
    std::string name{};  // = 2
    /// Empty when the user configuration sets none.
    std::string display_name{};  // = 3
    std::uint32_t message_timing_gap_ms{};  // = 4
    std::vector<Feature> features;  // = 5
    /// Where the hardware is: the Bluetooth address, serial port, HID path or simulated-device
    /// address. Known to clients of the embedded server; empty for a remote server, which does
    /// not tell.
    std::string address{};  // = 6
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Device{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : features) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, index, false);
        writer_.field_string(2, name, false);
        writer_.field_string(3, display_name, false);
        writer_.field_varint_uint32(4, message_timing_gap_ms, false);
        for (const auto &item_ : features) {
            writer_.message(5, item_);
        }
        writer_.field_string(6, address, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(name)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!reader_.read_string(display_name)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(message_timing_gap_ms)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 5:
                if (type_ == 2) {
                    features.emplace_back();
                    if (!reader_.message(features.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 6:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.DeviceList.
struct DeviceList {
    std::vector<Device> devices;  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = DeviceList{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : devices) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        for (const auto &item_ : devices) {
            writer_.message(1, item_);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    devices.emplace_back();
                    if (!reader_.message(devices.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// One reading from an input.
struct InputReading {
    std::uint32_t device_index{};  // = 1
    std::uint32_t feature_index{};  // = 2
    InputType input_type{};  // = 3
    /// Battery: percent 0 to 100; RSSI: dBm; button: 0 or 1; pressure: raw units.
    std::int64_t value{};  // = 4
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = InputReading{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, device_index, false);
        writer_.field_varint_uint32(2, feature_index, false);
        writer_.field_enum(3, input_type, false);
        writer_.field_varint_int64(4, value, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(device_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(feature_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 0) {
                    if (!reader_.read_enum(input_type)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 0) {
                    if (!reader_.read_varint_int64(value)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.SimulatedDeviceInfo.
struct SimulatedDeviceInfo {
    std::string address{};  // = 1
    std::string identifier{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = SimulatedDeviceInfo{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, address, false);
        writer_.field_string(2, identifier, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(identifier)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.Write.
struct Write {
    std::string endpoint{};  // = 1
    std::string data{};  // = 2
    /// Whether the write asked for a response from the hardware.
    bool with_response{};  // = 3
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Write{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, endpoint, false);
        writer_.field_string(2, data, false);
        writer_.field_varint_bool(3, with_response, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(endpoint)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(data)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 0) {
                    if (!reader_.read_varint_bool(with_response)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.Writes.
struct Writes {
    std::vector<Write> writes;  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Writes{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : writes) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        for (const auto &item_ : writes) {
            writer_.message(1, item_);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    writes.emplace_back();
                    if (!reader_.message(writes.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// The completion of a request. status is a haptix_status value: 0 (HAPTIX_STATUS_OK) or an
/// error code, with a readable message.
struct Response {
    /// Which member of oneof `result` is set.
    enum class ResultCase : std::uint32_t {
        kNotSet = 0,
        kDeviceList = 10,
        kReading = 11,
        kSimulatedDevice = 12,
        kWrites = 13,
    };

    std::int32_t status{};  // = 1
    std::string message{};  // = 2
    /// Member of oneof `result`: meaningful when result_case is kDeviceList.
    DeviceList device_list{};  // = 10
    /// Member of oneof `result`: meaningful when result_case is kReading.
    InputReading reading{};  // = 11
    /// Member of oneof `result`: meaningful when result_case is kSimulatedDevice.
    SimulatedDeviceInfo simulated_device{};  // = 12
    /// Member of oneof `result`: meaningful when result_case is kWrites.
    Writes writes{};  // = 13
    /// Which member of `result` is set (kNotSet: none).
    ResultCase result_case = ResultCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Response{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (result_case == ResultCase::kDeviceList && device_list.has_unknown_fields()) {
            return true;
        }
        if (result_case == ResultCase::kReading && reading.has_unknown_fields()) {
            return true;
        }
        if (result_case == ResultCase::kSimulatedDevice && simulated_device.has_unknown_fields()) {
            return true;
        }
        if (result_case == ResultCase::kWrites && writes.has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_int32(1, status, false);
        writer_.field_string(2, message, false);
        if (result_case == ResultCase::kDeviceList) {
            writer_.message(10, device_list);
        }
        if (result_case == ResultCase::kReading) {
            writer_.message(11, reading);
        }
        if (result_case == ResultCase::kSimulatedDevice) {
            writer_.message(12, simulated_device);
        }
        if (result_case == ResultCase::kWrites) {
            writer_.message(13, writes);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(status)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(message)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 10:
                if (type_ == 2) {
                    if (result_case != ResultCase::kDeviceList) {
                        device_list = DeviceList{};
                    }
                    if (!reader_.message(device_list)) {
                        return false;
                    }
                    result_case = ResultCase::kDeviceList;
                    known_ = true;
                }
                break;
            case 11:
                if (type_ == 2) {
                    if (result_case != ResultCase::kReading) {
                        reading = InputReading{};
                    }
                    if (!reader_.message(reading)) {
                        return false;
                    }
                    result_case = ResultCase::kReading;
                    known_ = true;
                }
                break;
            case 12:
                if (type_ == 2) {
                    if (result_case != ResultCase::kSimulatedDevice) {
                        simulated_device = SimulatedDeviceInfo{};
                    }
                    if (!reader_.message(simulated_device)) {
                        return false;
                    }
                    result_case = ResultCase::kSimulatedDevice;
                    known_ = true;
                }
                break;
            case 13:
                if (type_ == 2) {
                    if (result_case != ResultCase::kWrites) {
                        writes = Writes{};
                    }
                    if (!reader_.message(writes)) {
                        return false;
                    }
                    result_case = ResultCase::kWrites;
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// The connection to the server is ready.
struct Connected {
    std::string server_name{};  // = 1
    /// Spec version negotiated (3 or 4).
    std::uint32_t spec_version{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Connected{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, server_name, false);
        writer_.field_varint_uint32(2, spec_version, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(server_name)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(spec_version)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// The connection ended (or could not be made). No events follow for this client.
struct Disconnected {
    std::string reason{};  // = 1
    /// 0 after a requested disconnect, else an error code.
    std::int32_t status{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Disconnected{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, reason, false);
        writer_.field_varint_int32(2, status, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(reason)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(status)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.DeviceAdded.
struct DeviceAdded {
    std::optional<Device> device;  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = DeviceAdded{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (device && device->has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        if (device.has_value()) {
            writer_.message(1, *device);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!device) {
                        device.emplace();
                    }
                    if (!reader_.message(*device)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.DeviceRemoved.
struct DeviceRemoved {
    std::uint32_t device_index{};  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = DeviceRemoved{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, device_index, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(device_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.ScanningFinished.
struct ScanningFinished {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = ScanningFinished{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// An error the server reported outside any request (for example a ping timeout), or a failure
/// inside the library (a background task that panicked).
struct ErrorReport {
    std::int32_t status{};  // = 1
    std::string message{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = ErrorReport{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_int32(1, status, false);
        writer_.field_string(2, message, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(status)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(message)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.LogRecord.
struct LogRecord {
    LogLevel level{};  // = 1
    /// Module the record comes from, e.g. "haptix::server".
    std::string target{};  // = 2
    std::string message{};  // = 3
    /// Milliseconds since the Unix epoch.
    std::uint64_t timestamp_ms{};  // = 4
    /// Records dropped before this one because the host did not drain the queue.
    std::uint64_t dropped_before{};  // = 5
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = LogRecord{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_enum(1, level, false);
        writer_.field_string(2, target, false);
        writer_.field_string(3, message, false);
        writer_.field_varint_uint64(4, timestamp_ms, false);
        writer_.field_varint_uint64(5, dropped_before, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_enum(level)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(target)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!reader_.read_string(message)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint64(timestamp_ms)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 5:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint64(dropped_before)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.Event.
struct Event {
    /// Which member of oneof `kind` is set.
    enum class KindCase : std::uint32_t {
        kNotSet = 0,
        kResponse = 10,
        kConnected = 11,
        kDisconnected = 12,
        kDeviceAdded = 13,
        kDeviceRemoved = 14,
        kScanningFinished = 15,
        kInputReading = 16,
        kError = 17,
        kLog = 18,
    };

    /// The request this answers, or 0 for an unsolicited event.
    std::uint64_t request_id{};  // = 1
    /// Member of oneof `kind`: meaningful when kind_case is kResponse.
    Response response{};  // = 10
    /// Member of oneof `kind`: meaningful when kind_case is kConnected.
    Connected connected{};  // = 11
    /// Member of oneof `kind`: meaningful when kind_case is kDisconnected.
    Disconnected disconnected{};  // = 12
    /// Member of oneof `kind`: meaningful when kind_case is kDeviceAdded.
    DeviceAdded device_added{};  // = 13
    /// Member of oneof `kind`: meaningful when kind_case is kDeviceRemoved.
    DeviceRemoved device_removed{};  // = 14
    /// Member of oneof `kind`: meaningful when kind_case is kScanningFinished.
    ScanningFinished scanning_finished{};  // = 15
    /// Member of oneof `kind`: meaningful when kind_case is kInputReading.
    InputReading input_reading{};  // = 16
    /// Member of oneof `kind`: meaningful when kind_case is kError.
    ErrorReport error{};  // = 17
    /// Member of oneof `kind`: meaningful when kind_case is kLog.
    LogRecord log{};  // = 18
    /// Which member of `kind` is set (kNotSet: none).
    KindCase kind_case = KindCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Event{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (kind_case == KindCase::kResponse && response.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kConnected && connected.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kDisconnected && disconnected.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kDeviceAdded && device_added.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kDeviceRemoved && device_removed.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kScanningFinished && scanning_finished.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kInputReading && input_reading.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kError && error.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kLog && log.has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint64(1, request_id, false);
        if (kind_case == KindCase::kResponse) {
            writer_.message(10, response);
        }
        if (kind_case == KindCase::kConnected) {
            writer_.message(11, connected);
        }
        if (kind_case == KindCase::kDisconnected) {
            writer_.message(12, disconnected);
        }
        if (kind_case == KindCase::kDeviceAdded) {
            writer_.message(13, device_added);
        }
        if (kind_case == KindCase::kDeviceRemoved) {
            writer_.message(14, device_removed);
        }
        if (kind_case == KindCase::kScanningFinished) {
            writer_.message(15, scanning_finished);
        }
        if (kind_case == KindCase::kInputReading) {
            writer_.message(16, input_reading);
        }
        if (kind_case == KindCase::kError) {
            writer_.message(17, error);
        }
        if (kind_case == KindCase::kLog) {
            writer_.message(18, log);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint64(request_id)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 10:
                if (type_ == 2) {
                    if (kind_case != KindCase::kResponse) {
                        response = Response{};
                    }
                    if (!reader_.message(response)) {
                        return false;
                    }
                    kind_case = KindCase::kResponse;
                    known_ = true;
                }
                break;
            case 11:
                if (type_ == 2) {
                    if (kind_case != KindCase::kConnected) {
                        connected = Connected{};
                    }
                    if (!reader_.message(connected)) {
                        return false;
                    }
                    kind_case = KindCase::kConnected;
                    known_ = true;
                }
                break;
            case 12:
                if (type_ == 2) {
                    if (kind_case != KindCase::kDisconnected) {
                        disconnected = Disconnected{};
                    }
                    if (!reader_.message(disconnected)) {
                        return false;
                    }
                    kind_case = KindCase::kDisconnected;
                    known_ = true;
                }
                break;
            case 13:
                if (type_ == 2) {
                    if (kind_case != KindCase::kDeviceAdded) {
                        device_added = DeviceAdded{};
                    }
                    if (!reader_.message(device_added)) {
                        return false;
                    }
                    kind_case = KindCase::kDeviceAdded;
                    known_ = true;
                }
                break;
            case 14:
                if (type_ == 2) {
                    if (kind_case != KindCase::kDeviceRemoved) {
                        device_removed = DeviceRemoved{};
                    }
                    if (!reader_.message(device_removed)) {
                        return false;
                    }
                    kind_case = KindCase::kDeviceRemoved;
                    known_ = true;
                }
                break;
            case 15:
                if (type_ == 2) {
                    if (kind_case != KindCase::kScanningFinished) {
                        scanning_finished = ScanningFinished{};
                    }
                    if (!reader_.message(scanning_finished)) {
                        return false;
                    }
                    kind_case = KindCase::kScanningFinished;
                    known_ = true;
                }
                break;
            case 16:
                if (type_ == 2) {
                    if (kind_case != KindCase::kInputReading) {
                        input_reading = InputReading{};
                    }
                    if (!reader_.message(input_reading)) {
                        return false;
                    }
                    kind_case = KindCase::kInputReading;
                    known_ = true;
                }
                break;
            case 17:
                if (type_ == 2) {
                    if (kind_case != KindCase::kError) {
                        error = ErrorReport{};
                    }
                    if (!reader_.message(error)) {
                        return false;
                    }
                    kind_case = KindCase::kError;
                    known_ = true;
                }
                break;
            case 18:
                if (type_ == 2) {
                    if (kind_case != KindCase::kLog) {
                        log = LogRecord{};
                    }
                    if (!reader_.message(log)) {
                        return false;
                    }
                    kind_case = KindCase::kLog;
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// A virtual device, found when its context scans.
struct SimulatedDevice {
    /// What the device presents: a Bluetooth name ("LVS-Hush", or "ble:NAME"), "serial:PORT",
    /// "hid:VID:PID" or "usb:VID:PID" (hexadecimal ids).
    std::string identifier{};  // = 1
    /// Address used to refer to it in simulated-device requests; generated when empty.
    std::string address{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = SimulatedDevice{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, identifier, false);
        writer_.field_string(2, address, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(identifier)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Options of haptix_context_new. Every field is optional.
struct ContextOptions {
    /// The device database in the official JSON format (v4 or v5). The built-in database is used
    /// when neither is set.
    enum class DeviceConfigCase : std::uint32_t {
        kNotSet = 0,
        kDeviceConfigJson = 2,
        kDeviceConfigPath = 3,
    };

    /// A user device configuration (official format) layered on top of the database.
    enum class UserConfigCase : std::uint32_t {
        kNotSet = 0,
        kUserConfigJson = 4,
        kUserConfigPath = 5,
    };

    /// Buses to watch. Empty means COMM_MANAGER_SIMULATED only.
    std::vector<CommManager> comm_managers;  // = 1
    /// Member of oneof `device_config`: meaningful when device_config_case is kDeviceConfigJson.
    std::string device_config_json{};  // = 2
    /// Member of oneof `device_config`: meaningful when device_config_case is kDeviceConfigPath.
    std::string device_config_path{};  // = 3
    /// Member of oneof `user_config`: meaningful when user_config_case is kUserConfigJson.
    std::string user_config_json{};  // = 4
    /// Member of oneof `user_config`: meaningful when user_config_case is kUserConfigPath.
    std::string user_config_path{};  // = 5
    std::vector<SimulatedDevice> simulated_devices;  // = 6
    LogLevel log_level{};  // = 7
    /// Name the embedded server gives in its handshake. Default "Haptix".
    std::string server_name{};  // = 8
    /// Ping timeout of the embedded server in ms; 0 disables the watchdog.
    std::uint32_t max_ping_time_ms{};  // = 9
    /// Tokio worker threads of the context; 0 means 2.
    std::uint32_t worker_threads{};  // = 10
    /// Listen address of COMM_MANAGER_WEBSOCKET_DEVICES. Default "127.0.0.1:54817".
    std::string websocket_devices_address{};  // = 11
    /// Addresses of Lovense Connect apps for COMM_MANAGER_LOVENSE_CONNECT ("host:port" or
    /// "http://host:port", as the app shows them).
    std::vector<std::string> lovense_connect_addresses;  // = 12
    /// Serial port of the Lovense USB dongle for COMM_MANAGER_LOVENSE_DONGLE_SERIAL; empty finds
    /// it by its USB ids.
    std::string lovense_dongle_port{};  // = 13
    /// Which member of `device_config` is set (kNotSet: none).
    DeviceConfigCase device_config_case = DeviceConfigCase::kNotSet;
    /// Which member of `user_config` is set (kNotSet: none).
    UserConfigCase user_config_case = UserConfigCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = ContextOptions{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        for (const auto &item_ : simulated_devices) {
            if (item_.has_unknown_fields()) {
                return true;
            }
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.packed_enum(1, comm_managers);
        if (device_config_case == DeviceConfigCase::kDeviceConfigJson) {
            writer_.field_string(2, device_config_json, true);
        }
        if (device_config_case == DeviceConfigCase::kDeviceConfigPath) {
            writer_.field_string(3, device_config_path, true);
        }
        if (user_config_case == UserConfigCase::kUserConfigJson) {
            writer_.field_string(4, user_config_json, true);
        }
        if (user_config_case == UserConfigCase::kUserConfigPath) {
            writer_.field_string(5, user_config_path, true);
        }
        for (const auto &item_ : simulated_devices) {
            writer_.message(6, item_);
        }
        writer_.field_enum(7, log_level, false);
        writer_.field_string(8, server_name, false);
        writer_.field_varint_uint32(9, max_ping_time_ms, false);
        writer_.field_varint_uint32(10, worker_threads, false);
        writer_.field_string(11, websocket_devices_address, false);
        for (const auto &item_ : lovense_connect_addresses) {
            writer_.field_string(12, item_);
        }
        writer_.field_string(13, lovense_dongle_port, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (!reader_.repeated_enum(type_, comm_managers, known_)) {
                    return false;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(device_config_json)) {
                        return false;
                    }
                    device_config_case = DeviceConfigCase::kDeviceConfigJson;
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!reader_.read_string(device_config_path)) {
                        return false;
                    }
                    device_config_case = DeviceConfigCase::kDeviceConfigPath;
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 2) {
                    if (!reader_.read_string(user_config_json)) {
                        return false;
                    }
                    user_config_case = UserConfigCase::kUserConfigJson;
                    known_ = true;
                }
                break;
            case 5:
                if (type_ == 2) {
                    if (!reader_.read_string(user_config_path)) {
                        return false;
                    }
                    user_config_case = UserConfigCase::kUserConfigPath;
                    known_ = true;
                }
                break;
            case 6:
                if (type_ == 2) {
                    simulated_devices.emplace_back();
                    if (!reader_.message(simulated_devices.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 7:
                if (type_ == 0) {
                    if (!reader_.read_enum(log_level)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 8:
                if (type_ == 2) {
                    if (!reader_.read_string(server_name)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 9:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(max_ping_time_ms)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 10:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(worker_threads)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 11:
                if (type_ == 2) {
                    if (!reader_.read_string(websocket_devices_address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 12:
                if (type_ == 2) {
                    lovense_connect_addresses.emplace_back();
                    if (!reader_.read_string(lovense_connect_addresses.back())) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 13:
                if (type_ == 2) {
                    if (!reader_.read_string(lovense_dongle_port)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// The server embedded in the client's own context.
struct EmbeddedServer {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = EmbeddedServer{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Options of haptix_client_new.
struct ClientOptions {
    /// Which server to connect to. Default: the embedded server.
    enum class ServerCase : std::uint32_t {
        kNotSet = 0,
        kEmbedded = 2,
        kWebsocketUrl = 3,
    };

    /// Name sent in the handshake. Default "Haptix client".
    std::string client_name{};  // = 1
    /// Member of oneof `server`: meaningful when server_case is kEmbedded.
    EmbeddedServer embedded{};  // = 2
    /// A remote Buttplug server, e.g. "ws://127.0.0.1:12345".
    /// Member of oneof `server`: meaningful when server_case is kWebsocketUrl.
    std::string websocket_url{};  // = 3
    /// How long a request waits for the server's answer before it completes with
    /// HAPTIX_STATUS_ERROR_TIMED_OUT, in ms. 0 means the library default (10 s). Bindings pass the
    /// timeout their user set, so that one timeout applies.
    std::uint32_t request_timeout_ms{};  // = 4
    /// Which member of `server` is set (kNotSet: none).
    ServerCase server_case = ServerCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = ClientOptions{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (server_case == ServerCase::kEmbedded && embedded.has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, client_name, false);
        if (server_case == ServerCase::kEmbedded) {
            writer_.message(2, embedded);
        }
        if (server_case == ServerCase::kWebsocketUrl) {
            writer_.field_string(3, websocket_url, true);
        }
        writer_.field_varint_uint32(4, request_timeout_ms, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(client_name)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (server_case != ServerCase::kEmbedded) {
                        embedded = EmbeddedServer{};
                    }
                    if (!reader_.message(embedded)) {
                        return false;
                    }
                    server_case = ServerCase::kEmbedded;
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!reader_.read_string(websocket_url)) {
                        return false;
                    }
                    server_case = ServerCase::kWebsocketUrl;
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(request_timeout_ms)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Options of haptix_server_new.
struct ServerOptions {
    /// Address to listen on. Default "127.0.0.1:12345"; port 0 picks a free port.
    std::string listen_address{};  // = 1
    /// Largest accepted frame in bytes; 0 means the library default.
    std::uint32_t max_message_size{};  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = ServerOptions{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, listen_address, false);
        writer_.field_varint_uint32(2, max_message_size, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(listen_address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(max_message_size)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.StartScanning.
struct StartScanning {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = StartScanning{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.StopScanning.
struct StopScanning {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = StopScanning{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Answered with Response.device_list.
struct RequestDeviceList {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = RequestDeviceList{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Drive an output. Without feature_index, every feature of the device with that output type is
/// set to the same value.
struct Output {
    /// Which member of oneof `value` is set.
    enum class ValueCase : std::uint32_t {
        kNotSet = 0,
        kLevel = 4,
        kSteps = 5,
    };

    std::uint32_t device_index{};  // = 1
    std::optional<std::uint32_t> feature_index;  // = 2
    OutputType output_type{};  // = 3
    /// 0.0 to 1.0 (-1.0 to 1.0 for signed ranges such as rotation direction), mapped onto the
    /// feature's step range.
    /// Member of oneof `value`: meaningful when value_case is kLevel.
    double level{};  // = 4
    /// A raw step value inside the feature's range.
    /// Member of oneof `value`: meaningful when value_case is kSteps.
    std::int32_t steps{};  // = 5
    /// Movement time for OUTPUT_TYPE_HW_POSITION_WITH_DURATION.
    std::uint32_t duration_ms{};  // = 6
    /// Which member of `value` is set (kNotSet: none).
    ValueCase value_case = ValueCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Output{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, device_index, false);
        if (feature_index.has_value()) {
            writer_.field_varint_uint32(2, *feature_index, true);
        }
        writer_.field_enum(3, output_type, false);
        if (value_case == ValueCase::kLevel) {
            writer_.field_fixed64_double(4, level, true);
        }
        if (value_case == ValueCase::kSteps) {
            writer_.field_varint_int32(5, steps, true);
        }
        writer_.field_varint_uint32(6, duration_ms, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(device_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    feature_index.emplace();
                    if (!reader_.read_varint_uint32(*feature_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 0) {
                    if (!reader_.read_enum(output_type)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 1) {
                    if (!reader_.read_fixed64_double(level)) {
                        return false;
                    }
                    value_case = ValueCase::kLevel;
                    known_ = true;
                }
                break;
            case 5:
                if (type_ == 0) {
                    if (!reader_.read_varint_int32(steps)) {
                        return false;
                    }
                    value_case = ValueCase::kSteps;
                    known_ = true;
                }
                break;
            case 6:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(duration_ms)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Read an input, or start or stop a subscription. A read is answered with Response.reading;
/// subscribed readings arrive as InputReading events with request_id 0.
struct Input {
    std::uint32_t device_index{};  // = 1
    /// Without it, the first feature with this input type.
    std::optional<std::uint32_t> feature_index;  // = 2
    InputType input_type{};  // = 3
    InputCommand command{};  // = 4
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Input{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, device_index, false);
        if (feature_index.has_value()) {
            writer_.field_varint_uint32(2, *feature_index, true);
        }
        writer_.field_enum(3, input_type, false);
        writer_.field_enum(4, command, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(device_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    feature_index.emplace();
                    if (!reader_.read_varint_uint32(*feature_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 0) {
                    if (!reader_.read_enum(input_type)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 4:
                if (type_ == 0) {
                    if (!reader_.read_enum(command)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Stop every output and input subscription of one device, or only one of the two.
struct StopDevice {
    std::uint32_t device_index{};  // = 1
    /// Stop the input subscriptions; absent means true.
    std::optional<bool> inputs;  // = 2
    /// Stop the outputs; absent means true.
    std::optional<bool> outputs;  // = 3
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = StopDevice{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint32(1, device_index, false);
        if (inputs.has_value()) {
            writer_.field_varint_bool(2, *inputs, true);
        }
        if (outputs.has_value()) {
            writer_.field_varint_bool(3, *outputs, true);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint32(device_index)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    inputs.emplace();
                    if (!reader_.read_varint_bool(*inputs)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 0) {
                    outputs.emplace();
                    if (!reader_.read_varint_bool(*outputs)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Stop every device: its outputs and input subscriptions, or only one of the two.
struct StopAll {
    /// Stop the input subscriptions; absent means true.
    std::optional<bool> inputs;  // = 1
    /// Stop the outputs; absent means true.
    std::optional<bool> outputs;  // = 2
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = StopAll{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        if (inputs.has_value()) {
            writer_.field_varint_bool(1, *inputs, true);
        }
        if (outputs.has_value()) {
            writer_.field_varint_bool(2, *outputs, true);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    inputs.emplace();
                    if (!reader_.read_varint_bool(*inputs)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 0) {
                    outputs.emplace();
                    if (!reader_.read_varint_bool(*outputs)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.Ping.
struct Ping {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Ping{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Close the connection; the server stops every device. A Disconnected event follows.
struct Disconnect {
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Disconnect{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Simulated-device control: only on a client of the embedded server.
/// Adds a virtual device to the context; it is found by the next (or current) scan.
/// Answered with Response.simulated_device.
struct AddSimulatedDevice {
    std::optional<SimulatedDevice> device;  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = AddSimulatedDevice{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (device && device->has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        if (device.has_value()) {
            writer_.message(1, *device);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!device) {
                        device.emplace();
                    }
                    if (!reader_.message(*device)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Removes a virtual device; a connected one disconnects.
struct RemoveSimulatedDevice {
    std::string address{};  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = RemoveSimulatedDevice{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, address, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Makes a virtual device send a notification on an endpoint (e.g. "rx"), as the hardware
/// would.
struct InjectNotification {
    std::string address{};  // = 1
    std::string endpoint{};  // = 2
    std::string data{};  // = 3
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = InjectNotification{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, address, false);
        writer_.field_string(2, endpoint, false);
        writer_.field_string(3, data, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 2:
                if (type_ == 2) {
                    if (!reader_.read_string(endpoint)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 3:
                if (type_ == 2) {
                    if (!reader_.read_string(data)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Returns and clears what a virtual device received. Answered with Response.writes.
struct TakeWrites {
    std::string address{};  // = 1
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = TakeWrites{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_string(1, address, false);
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 2) {
                    if (!reader_.read_string(address)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// proto message haptix.v1.Request.
struct Request {
    /// Which member of oneof `kind` is set.
    enum class KindCase : std::uint32_t {
        kNotSet = 0,
        kStartScanning = 10,
        kStopScanning = 11,
        kRequestDeviceList = 12,
        kOutput = 13,
        kInput = 14,
        kStopDevice = 15,
        kStopAll = 16,
        kPing = 17,
        kDisconnect = 18,
        kAddSimulatedDevice = 19,
        kRemoveSimulatedDevice = 20,
        kInjectNotification = 21,
        kTakeWrites = 22,
    };

    /// Chosen by the caller, below 2^63, echoed in the response. 0 lets the library pick one
    /// (at or above 2^63); haptix_client_send reports the id used either way.
    std::uint64_t id{};  // = 1
    /// Member of oneof `kind`: meaningful when kind_case is kStartScanning.
    StartScanning start_scanning{};  // = 10
    /// Member of oneof `kind`: meaningful when kind_case is kStopScanning.
    StopScanning stop_scanning{};  // = 11
    /// Member of oneof `kind`: meaningful when kind_case is kRequestDeviceList.
    RequestDeviceList request_device_list{};  // = 12
    /// Member of oneof `kind`: meaningful when kind_case is kOutput.
    Output output{};  // = 13
    /// Member of oneof `kind`: meaningful when kind_case is kInput.
    Input input{};  // = 14
    /// Member of oneof `kind`: meaningful when kind_case is kStopDevice.
    StopDevice stop_device{};  // = 15
    /// Member of oneof `kind`: meaningful when kind_case is kStopAll.
    StopAll stop_all{};  // = 16
    /// Member of oneof `kind`: meaningful when kind_case is kPing.
    Ping ping{};  // = 17
    /// Member of oneof `kind`: meaningful when kind_case is kDisconnect.
    Disconnect disconnect{};  // = 18
    /// Member of oneof `kind`: meaningful when kind_case is kAddSimulatedDevice.
    AddSimulatedDevice add_simulated_device{};  // = 19
    /// Member of oneof `kind`: meaningful when kind_case is kRemoveSimulatedDevice.
    RemoveSimulatedDevice remove_simulated_device{};  // = 20
    /// Member of oneof `kind`: meaningful when kind_case is kInjectNotification.
    InjectNotification inject_notification{};  // = 21
    /// Member of oneof `kind`: meaningful when kind_case is kTakeWrites.
    TakeWrites take_writes{};  // = 22
    /// Which member of `kind` is set (kNotSet: none).
    KindCase kind_case = KindCase::kNotSet;
    /// Encoded fields this schema does not know, kept by decode() and written by encode().
    std::string unknown_fields;

    /// Appends the encoded message to `out` (owned by the caller). Fields in number order,
    /// then unknown_fields, as libprotobuf writes them.
    void encode(std::string &out_) const {
        wire::Writer writer_(out_);
        encode_to(writer_);
    }
    /// The encoded message in a new string.
    std::string encode() const {
        std::string out_;
        encode(out_);
        return out_;
    }
    /// Replaces *this with the message in `data[0..len)` (borrowed). Returns false on
    /// malformed input, leaving *this in a valid but unspecified state.
    bool decode(const std::uint8_t *data_, std::size_t len_) {
        *this = Request{};
        wire::Reader reader_(data_, len_);
        return decode_from(reader_) && reader_.at_end();
    }
    /// decode() over a string's bytes.
    bool decode(const std::string &data_) {
        return decode(reinterpret_cast<const std::uint8_t *>(data_.data()), data_.size());
    }

    /// True when this message or one it contains kept fields this schema does not know
    /// (sent by a newer library).
    bool has_unknown_fields() const {
        if (!unknown_fields.empty()) {
            return true;
        }
        if (kind_case == KindCase::kStartScanning && start_scanning.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kStopScanning && stop_scanning.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kRequestDeviceList && request_device_list.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kOutput && output.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kInput && input.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kStopDevice && stop_device.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kStopAll && stop_all.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kPing && ping.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kDisconnect && disconnect.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kAddSimulatedDevice && add_simulated_device.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kRemoveSimulatedDevice && remove_simulated_device.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kInjectNotification && inject_notification.has_unknown_fields()) {
            return true;
        }
        if (kind_case == KindCase::kTakeWrites && take_writes.has_unknown_fields()) {
            return true;
        }
        return false;
    }

    /// Writes the fields through `writer` (used for nested messages).
    void encode_to(wire::Writer &writer_) const {
        writer_.field_varint_uint64(1, id, false);
        if (kind_case == KindCase::kStartScanning) {
            writer_.message(10, start_scanning);
        }
        if (kind_case == KindCase::kStopScanning) {
            writer_.message(11, stop_scanning);
        }
        if (kind_case == KindCase::kRequestDeviceList) {
            writer_.message(12, request_device_list);
        }
        if (kind_case == KindCase::kOutput) {
            writer_.message(13, output);
        }
        if (kind_case == KindCase::kInput) {
            writer_.message(14, input);
        }
        if (kind_case == KindCase::kStopDevice) {
            writer_.message(15, stop_device);
        }
        if (kind_case == KindCase::kStopAll) {
            writer_.message(16, stop_all);
        }
        if (kind_case == KindCase::kPing) {
            writer_.message(17, ping);
        }
        if (kind_case == KindCase::kDisconnect) {
            writer_.message(18, disconnect);
        }
        if (kind_case == KindCase::kAddSimulatedDevice) {
            writer_.message(19, add_simulated_device);
        }
        if (kind_case == KindCase::kRemoveSimulatedDevice) {
            writer_.message(20, remove_simulated_device);
        }
        if (kind_case == KindCase::kInjectNotification) {
            writer_.message(21, inject_notification);
        }
        if (kind_case == KindCase::kTakeWrites) {
            writer_.message(22, take_writes);
        }
        writer_.raw(unknown_fields);
    }

    /// Reads fields until `reader` is exhausted (used for nested messages).
    bool decode_from(wire::Reader &reader_) {
        while (!reader_.at_end()) {
            std::uint32_t number_ = 0;
            std::uint32_t type_ = 0;
            const std::size_t start_ = reader_.position();
            if (!reader_.tag(number_, type_)) {
                return false;
            }
            bool known_ = false;
            switch (number_) {
            case 1:
                if (type_ == 0) {
                    if (!reader_.read_varint_uint64(id)) {
                        return false;
                    }
                    known_ = true;
                }
                break;
            case 10:
                if (type_ == 2) {
                    if (kind_case != KindCase::kStartScanning) {
                        start_scanning = StartScanning{};
                    }
                    if (!reader_.message(start_scanning)) {
                        return false;
                    }
                    kind_case = KindCase::kStartScanning;
                    known_ = true;
                }
                break;
            case 11:
                if (type_ == 2) {
                    if (kind_case != KindCase::kStopScanning) {
                        stop_scanning = StopScanning{};
                    }
                    if (!reader_.message(stop_scanning)) {
                        return false;
                    }
                    kind_case = KindCase::kStopScanning;
                    known_ = true;
                }
                break;
            case 12:
                if (type_ == 2) {
                    if (kind_case != KindCase::kRequestDeviceList) {
                        request_device_list = RequestDeviceList{};
                    }
                    if (!reader_.message(request_device_list)) {
                        return false;
                    }
                    kind_case = KindCase::kRequestDeviceList;
                    known_ = true;
                }
                break;
            case 13:
                if (type_ == 2) {
                    if (kind_case != KindCase::kOutput) {
                        output = Output{};
                    }
                    if (!reader_.message(output)) {
                        return false;
                    }
                    kind_case = KindCase::kOutput;
                    known_ = true;
                }
                break;
            case 14:
                if (type_ == 2) {
                    if (kind_case != KindCase::kInput) {
                        input = Input{};
                    }
                    if (!reader_.message(input)) {
                        return false;
                    }
                    kind_case = KindCase::kInput;
                    known_ = true;
                }
                break;
            case 15:
                if (type_ == 2) {
                    if (kind_case != KindCase::kStopDevice) {
                        stop_device = StopDevice{};
                    }
                    if (!reader_.message(stop_device)) {
                        return false;
                    }
                    kind_case = KindCase::kStopDevice;
                    known_ = true;
                }
                break;
            case 16:
                if (type_ == 2) {
                    if (kind_case != KindCase::kStopAll) {
                        stop_all = StopAll{};
                    }
                    if (!reader_.message(stop_all)) {
                        return false;
                    }
                    kind_case = KindCase::kStopAll;
                    known_ = true;
                }
                break;
            case 17:
                if (type_ == 2) {
                    if (kind_case != KindCase::kPing) {
                        ping = Ping{};
                    }
                    if (!reader_.message(ping)) {
                        return false;
                    }
                    kind_case = KindCase::kPing;
                    known_ = true;
                }
                break;
            case 18:
                if (type_ == 2) {
                    if (kind_case != KindCase::kDisconnect) {
                        disconnect = Disconnect{};
                    }
                    if (!reader_.message(disconnect)) {
                        return false;
                    }
                    kind_case = KindCase::kDisconnect;
                    known_ = true;
                }
                break;
            case 19:
                if (type_ == 2) {
                    if (kind_case != KindCase::kAddSimulatedDevice) {
                        add_simulated_device = AddSimulatedDevice{};
                    }
                    if (!reader_.message(add_simulated_device)) {
                        return false;
                    }
                    kind_case = KindCase::kAddSimulatedDevice;
                    known_ = true;
                }
                break;
            case 20:
                if (type_ == 2) {
                    if (kind_case != KindCase::kRemoveSimulatedDevice) {
                        remove_simulated_device = RemoveSimulatedDevice{};
                    }
                    if (!reader_.message(remove_simulated_device)) {
                        return false;
                    }
                    kind_case = KindCase::kRemoveSimulatedDevice;
                    known_ = true;
                }
                break;
            case 21:
                if (type_ == 2) {
                    if (kind_case != KindCase::kInjectNotification) {
                        inject_notification = InjectNotification{};
                    }
                    if (!reader_.message(inject_notification)) {
                        return false;
                    }
                    kind_case = KindCase::kInjectNotification;
                    known_ = true;
                }
                break;
            case 22:
                if (type_ == 2) {
                    if (kind_case != KindCase::kTakeWrites) {
                        take_writes = TakeWrites{};
                    }
                    if (!reader_.message(take_writes)) {
                        return false;
                    }
                    kind_case = KindCase::kTakeWrites;
                    known_ = true;
                }
                break;
            default:
                break;
            }
            if (!known_) {
                if (!reader_.skip(number_, type_)) {
                    return false;
                }
                reader_.copy_since(start_, unknown_fields);
            }
        }
        return true;
    }
};

/// Calls X(Name) once for every message of the schema, in dependency order.
#define HAPTIX_V1_FOR_EACH_MESSAGE(X) \
    X(Range) \
    X(FeatureOutput) \
    X(FeatureInput) \
    X(Feature) \
    X(Device) \
    X(DeviceList) \
    X(InputReading) \
    X(SimulatedDeviceInfo) \
    X(Write) \
    X(Writes) \
    X(Response) \
    X(Connected) \
    X(Disconnected) \
    X(DeviceAdded) \
    X(DeviceRemoved) \
    X(ScanningFinished) \
    X(ErrorReport) \
    X(LogRecord) \
    X(Event) \
    X(SimulatedDevice) \
    X(ContextOptions) \
    X(EmbeddedServer) \
    X(ClientOptions) \
    X(ServerOptions) \
    X(StartScanning) \
    X(StopScanning) \
    X(RequestDeviceList) \
    X(Output) \
    X(Input) \
    X(StopDevice) \
    X(StopAll) \
    X(Ping) \
    X(Disconnect) \
    X(AddSimulatedDevice) \
    X(RemoveSimulatedDevice) \
    X(InjectNotification) \
    X(TakeWrites) \
    X(Request)

}  // namespace v1
}  // namespace haptix

#endif  // HAPTIX_MESSAGES_HPP
