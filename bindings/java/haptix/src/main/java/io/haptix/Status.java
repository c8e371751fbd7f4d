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
    /** A required pointer was NULL. */
    public static final int ERROR_NULL_POINTER = 100;
    /** An argument is invalid. */
    public static final int ERROR_INVALID_ARGUMENT = 101;
    /** The handle is not a live handle of the expected type (freed, stale, foreign). */
    public static final int ERROR_INVALID_HANDLE = 102;
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
    /** The request was cancelled (its client was freed or disconnected first). */
    public static final int ERROR_CANCELLED = 204;
    /** The request did not complete in time. */
    public static final int ERROR_TIMED_OUT = 205;
    /** The client is not connected. */
    public static final int ERROR_NOT_CONNECTED = 206;
    /** No connected device has this index. */
    public static final int ERROR_DEVICE_NOT_FOUND = 400;
    /** The device has no feature with this index. */
    public static final int ERROR_FEATURE_NOT_FOUND = 401;
    /** The device or feature does not support the command. */
    public static final int ERROR_NOT_SUPPORTED = 402;
    /** A value is outside its allowed range. */
    public static final int ERROR_OUT_OF_RANGE = 403;
    /** A connection or listener could not be opened. */
    public static final int ERROR_CONNECT = 500;
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
