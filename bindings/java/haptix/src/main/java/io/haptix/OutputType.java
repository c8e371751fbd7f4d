package io.haptix;

/** A kind of output a device feature offers (protobuf {@code haptix.v1.OutputType}). */
public enum OutputType implements Enums.Numbered {
    /** {@code VIBRATE}. */
    VIBRATE(1),
    /** {@code ROTATE}. */
    ROTATE(2),
    /** {@code OSCILLATE}. */
    OSCILLATE(3),
    /** {@code CONSTRICT}. */
    CONSTRICT(4),
    /** {@code TEMPERATURE}. */
    TEMPERATURE(5),
    /** {@code LED}. */
    LED(6),
    /** {@code SPRAY}. */
    SPRAY(7),
    /** {@code POSITION}. */
    POSITION(8),
    /** {@code HW_POSITION_WITH_DURATION}. */
    HW_POSITION_WITH_DURATION(9);

    private final int number;

    OutputType(int number) {
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
    public static OutputType fromNumber(int number) {
        return Enums.fromNumber(OutputType.class, number);
    }
}
