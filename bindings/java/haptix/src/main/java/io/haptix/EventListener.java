package io.haptix;

/**
 * Receives a client's events, in order, one at a time, on the client's event thread (a daemon
 * thread of this binding, never a library thread). It may call any method of this binding,
 * including ones that wait ({@code join()} on a future, {@link Client#call}), and may close the
 * client. An exception it throws is reported to the thread's uncaught-exception handler and
 * does not stop delivery.
 */
@FunctionalInterface
public interface EventListener {
    /**
     * @param event the event
     */
    void onEvent(Event event);
}
