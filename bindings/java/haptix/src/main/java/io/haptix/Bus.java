package io.haptix;

/** A hardware bus the context scans (protobuf {@code haptix.v1.CommManager}). */
public enum Bus implements Enums.Numbered {
    /** {@code SIMULATED}. */
    SIMULATED(1),
    /** {@code WEBSOCKET_DEVICES}. */
    WEBSOCKET_DEVICES(2),
    /** {@code BLUETOOTH_LE}. */
    BLUETOOTH_LE(3),
    /** {@code SERIAL}. */
    SERIAL(4),
    /** {@code HID}. */
    HID(5),
    /** {@code LOVENSE_DONGLE_SERIAL}: the Lovense USB dongle, serial variant. */
    LOVENSE_DONGLE_SERIAL(6),
    /** {@code LOVENSE_DONGLE_HID}: the Lovense USB dongle, HID variant. */
    LOVENSE_DONGLE_HID(7),
    /** {@code LOVENSE_CONNECT}: toys of a Lovense Connect app (see the context's addresses). */
    LOVENSE_CONNECT(8),
    /** {@code GAMEPAD}: gamepads with rumble. */
    GAMEPAD(9),
    /** {@code USB}: raw USB toys. */
    USB(10);

    private final int number;

    Bus(int number) {
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
    public static Bus fromNumber(int number) {
        return Enums.fromNumber(Bus.class, number);
    }
}
