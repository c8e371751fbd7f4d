package io.haptix;

/** The library's log level (protobuf {@code haptix.v1.LogLevel}). */
public enum LogLevel implements Enums.Numbered {
    /** {@code OFF}. */
    OFF(1),
    /** {@code ERROR}. */
    ERROR(2),
    /** {@code WARN}. */
    WARN(3),
    /** {@code INFO}. */
    INFO(4),
    /** {@code DEBUG}. */
    DEBUG(5),
    /** {@code TRACE}. */
    TRACE(6);

    private final int number;

    LogLevel(int number) {
        this.number = number;
    }

    /** @return the protobuf enum number */
    @Override
    public int number() {
        return number;
    }

    /**
     * @param number a protobuf enum number
     * @return the constant, or null for an unknown number
     */
    public static LogLevel fromNumber(int number) {
        return Enums.fromNumber(LogLevel.class, number);
    }
}
