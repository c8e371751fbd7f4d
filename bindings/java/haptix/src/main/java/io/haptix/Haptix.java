package io.haptix;

/** Library-wide information. Loading happens on first use of any class of this package. */
public final class Haptix {
    private Haptix() {}

    /**
     * Loads the native library and checks its ABI version.
     *
     * @throws HaptixException with {@link Status#ERROR_ABI_MISMATCH} when the library implements
     *     another ABI than this binding
     */
    public static void load() {
        Native.ensureLoaded();
    }

    /** @return the library's version, e.g. {@code 0.1.0} */
    public static String version() {
        load();
        return Native.version();
    }

    /** @return the ABI version the loaded library implements */
    public static int abiVersion() {
        return Native.abiVersion();
    }

    /**
     * Prints the version, the ABI and where the library was loaded from, and connects a client
     * to an embedded server (a smoke test of the jar: {@code java -cp haptix.jar:protobuf-java.jar io.haptix.Haptix}).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        load();
        try (Context context = Context.builder().build();
             Client client = Client.connectEmbedded(context)) {
            Event.Connected connected = client.connected().join();
            System.out.println("haptix " + version() + " abi " + abiVersion() + " loaded from "
                + NativeLoader.loadedFrom() + "; connected to " + connected.serverName());
        }
    }
}
