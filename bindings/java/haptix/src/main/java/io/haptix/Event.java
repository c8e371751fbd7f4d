package io.haptix;

/**
 * An event of a client's stream, in the order the library produced it. Responses to requests
 * never appear here: they complete the request's future instead.
 */
public sealed interface Event {
    /**
     * The client connected.
     *
     * @param serverName the server's name
     * @param specVersion the Buttplug spec version agreed
     */
    record Connected(String serverName, int specVersion) implements Event {}

    /**
     * The client disconnected; the last event of the stream.
     *
     * @param reason why, as the library says it
     * @param status 0 when asked for, else the status of the failure
     */
    record Disconnected(String reason, int status) implements Event {}

    /**
     * A device was added (while scanning, or already there when the client connected).
     *
     * @param device the device
     */
    record DeviceAdded(Device device) implements Event {}

    /**
     * A device went away; its {@link Device#connected()} is now false.
     *
     * @param deviceIndex its index
     * @param device the device object, or null when the client did not know it
     */
    record DeviceRemoved(int deviceIndex, Device device) implements Event {}

    /** Scanning finished. */
    record ScanningFinished() implements Event {}

    /**
     * A reading of a subscribed input.
     *
     * @param deviceIndex the device
     * @param featureIndex the feature
     * @param inputType what was read (null for a type this binding does not know)
     * @param value the raw value
     */
    record InputReading(int deviceIndex, int featureIndex, InputType inputType, long value)
        implements Event {}

    /**
     * An error the server reported outside any request.
     *
     * @param status a {@link Status} code
     * @param message the library's message
     */
    record ErrorReport(int status, String message) implements Event {}
}
