package io.haptix;

/**
 * A failure reported by the Haptix library: a status code of the C ABI ({@link Status}) and the
 * library's message. Thrown by synchronous calls and used to complete futures exceptionally
 * (unwrap {@link java.util.concurrent.CompletionException} to get it from {@code join()}).
 */
public class HaptixException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates an exception; called by the natives too (keep this constructor's signature).
     *
     * @param status a {@link Status} code
     * @param message the library's message
     */
    public HaptixException(int status, String message) {
        super(Status.name(status) + ": " + message);
        this.status = status;
    }

    /** @return the status code, one of the {@link Status} constants (or a newer one) */
    public int status() {
        return status;
    }

    /** @return the message as the library wrote it, without the status name */
    public String libraryMessage() {
        String full = getMessage();
        int colon = full.indexOf(": ");
        return colon < 0 ? full : full.substring(colon + 2);
    }
}
