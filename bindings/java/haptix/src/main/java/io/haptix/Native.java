package io.haptix;

/**
 * The JNI natives (Rust, {@code src/jni} of the library, cargo feature {@code java}). Each one
 * calls the C ABI function of the same name and throws {@link HaptixException} with the status
 * and the library's message on failure. Handles are the C ABI's registry keys held in a
 * {@code long}. Byte arrays are copied once each way; Java owns every array returned. Every
 * method runs on the calling thread; only the {@code nextEvent}, {@code clientCall},
 * {@code clientAwaitEvents}, shutdown and stop functions block, up to their timeout (negative =
 * no limit).
 */
final class Native {
    private Native() {}

    /** The ABI version this binding was written for ({@code HAPTIX_ABI_VERSION}). */
    static final int ABI_VERSION = 2;

    static {
        NativeLoader.load();
    }

    /** Loads the library (once) and checks its ABI version. */
    static void ensureLoaded() {
        int abi;
        try {
            abi = abiVersion();
        } catch (UnsatisfiedLinkError e) {
            UnsatisfiedLinkError clear = new UnsatisfiedLinkError("haptix: the library loaded from "
                + NativeLoader.loadedFrom() + " has no JNI natives; build it with the cargo feature java");
            clear.initCause(e);
            throw clear;
        }
        if (abi != ABI_VERSION) {
            throw new HaptixException(Status.ERROR_ABI_MISMATCH,
                "the library implements ABI " + abi + ", this binding needs ABI " + ABI_VERSION);
        }
    }

    static native int abiVersion();

    static native String version();

    static native long contextNew(int abiVersion, byte[] options);

    static native void contextShutdown(long context, int timeoutMs);

    static native void contextFree(long context);

    /** @return the event, or null on timeout */
    static native byte[] contextNextEvent(long context, int timeoutMs);

    static native long clientNew(long context, byte[] options);

    /** @return the request id used */
    static native long clientSend(long client, byte[] request);

    /** @return the serialized response event */
    static native byte[] clientCall(long client, byte[] request, int timeoutMs);

    /** @return the event, or null on timeout */
    static native byte[] clientNextEvent(long client, int timeoutMs);

    /** Drops the client's watch (waking a pump waiting on it), then frees the client. */
    static native void clientFree(long client);

    /**
     * Registers the client's wake-up notifier, for {@link #clientAwaitEvents}.
     */
    static native void clientWatch(long client);

    /**
     * Waits, without taking an event, until the client's queue went from empty to non-empty
     * (or {@link #clientWake}) since the last wait.
     *
     * @return whether it was woken (false on timeout)
     */
    static native boolean clientAwaitEvents(long client, int timeoutMs);

    /** Ends a {@link #clientAwaitEvents} wait (or the next one) at once. */
    static native void clientWake(long client);

    static native long serverNew(long context, byte[] options);

    static native int serverPort(long server);

    static native void serverStop(long server, int timeoutMs);

    static native void serverFree(long server);
}
