package io.haptix;

/** The status codes of the C ABI ({@code haptix_status} in {@code include/haptix.h}). */
public final class Status {
    private Status() {}

    /** Success. */
    public static final int OK = 0;
    /** A wait ended without an event. */
    public static final int TIMEOUT = 1;
    /** The event stream has ended and no queued event is left. */
    public static final int CLOSED = 2;
    /** The output buffer was too small; the result was truncated. */
    public static final int BUFFER_TOO_SMALL = 3;
    /** A required pointer was NULL. */
    public static final int ERROR_NULL_POINTER = 100;
    /** An argument is invalid. */
    public static final int ERROR_INVALID_ARGUMENT = 101;
    /** The handle is not a live handle of the expected type (freed, stale, foreign). */
    public static final int ERROR_INVALID_HANDLE = 102;
    /** A string is not valid UTF-8. */
    public static final int ERROR_INVALID_UTF8 = 103;
    /** Bytes are not a valid protobuf message of the expected type. */
    public static final int ERROR_INVALID_PROTOBUF = 104;
    /** The library implements another ABI version than this binding. */
    public static final int ERROR_ABI_MISMATCH = 105;
    /** A device configuration could not be loaded. */
    public static final int ERROR_INVALID_CONFIG = 106;
    /** The handle (or its context) has been shut down. */
    public static final int ERROR_SHUT_DOWN = 200;
    /** The call would wait for the thread it runs on. */
    public static final int ERROR_WOULD_DEADLOCK = 201;
    /** The handle's internals panicked earlier; only freeing it is allowed. */
    public static final int ERROR_POISONED = 202;
    /** The runtime failed (threads could not be started, a task ended unexpectedly). */
    public static final int ERROR_RUNTIME = 203;
    /** The request was cancelled (its client was freed or disconnected first). */
    public static final int ERROR_CANCELLED = 204;
    /** The request did not complete in time. */
    public static final int ERROR_TIMED_OUT = 205;
    /** The client is not connected. */
    public static final int ERROR_NOT_CONNECTED = 206;
    /** A protocol message was invalid. */
    public static final int ERROR_PROTOCOL = 300;
    /** The handshake failed. */
    public static final int ERROR_HANDSHAKE = 301;
    /** The server's ping timeout expired. */
    public static final int ERROR_PING = 302;
    /** The server answered with an error of no more specific kind. */
    public static final int ERROR_SERVER = 303;
    /** No connected device has this index. */
    public static final int ERROR_DEVICE_NOT_FOUND = 400;
    /** The device has no feature with this index. */
    public static final int ERROR_FEATURE_NOT_FOUND = 401;
    /** The device or feature does not support the command. */
    public static final int ERROR_NOT_SUPPORTED = 402;
    /** A value is outside its allowed range. */
    public static final int ERROR_OUT_OF_RANGE = 403;
    /** The device failed (protocol or hardware error). */
    public static final int ERROR_DEVICE = 404;
    /** The device disconnected. */
    public static final int ERROR_DEVICE_DISCONNECTED = 405;
    /** A hardware operation timed out. */
    public static final int ERROR_DEVICE_TIMEOUT = 406;
    /** A connection or listener could not be opened. */
    public static final int ERROR_CONNECT = 500;
    /** The transport failed. */
    public static final int ERROR_TRANSPORT = 501;
    /** A panic was caught inside the library. */
    public static final int ERROR_PANIC = 600;
    /** An internal invariant failed. */
    public static final int ERROR_INTERNAL = 601;

    /**
     * @param status a status code
     * @return its name, e.g. {@code ERROR_OUT_OF_RANGE}, or {@code STATUS_<n>} for an unknown one
     */
    public static String name(int status) {
        for (var field : Status.class.getFields()) {
            try {
                if (field.getType() == int.class && field.getInt(null) == status) {
                    return field.getName();
                }
            } catch (IllegalAccessException e) {
                break;
            }
        }
        return "STATUS_" + status;
    }
}
