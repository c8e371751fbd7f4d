package io.haptix;

/** A kind of input (sensor) a device feature offers (protobuf {@code haptix.v1.InputType}). */
public enum InputType implements Enums.Numbered {
    /** {@code BATTERY}. */
    BATTERY(1),
    /** {@code RSSI}. */
    RSSI(2),
    /** {@code PRESSURE}. */
    PRESSURE(3),
    /** {@code BUTTON}. */
    BUTTON(4),
    /** {@code DEPTH}. */
    DEPTH(5),
    /** {@code POSITION}. */
    POSITION(6);

    private final int number;

    InputType(int number) {
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
    public static InputType fromNumber(int number) {
        return Enums.fromNumber(InputType.class, number);
    }
}
