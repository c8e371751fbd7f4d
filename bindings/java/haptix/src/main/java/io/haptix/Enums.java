package io.haptix;

/** Numbering shared by the enums of this package and the protobuf enums of {@code haptix.v1}. */
final class Enums {
    private Enums() {}

    static <E extends Enum<E> & Numbered> E fromNumber(Class<E> type, int number) {
        for (E e : type.getEnumConstants()) {
            if (e.number() == number) {
                return e;
            }
        }
        return null;
    }

    /** An enum constant with its protobuf number. */
    interface Numbered {
        int number();
    }
}
