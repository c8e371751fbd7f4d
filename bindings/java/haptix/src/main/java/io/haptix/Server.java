package io.haptix;

import haptix.v1.Options;
import java.lang.ref.Cleaner;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Buttplug WebSocket server on a context's devices, for remote Buttplug clients (one at a
 * time). Thread-safe; {@link #close()} is idempotent and the cleaner closes a forgotten one.
 */
public final class Server implements AutoCloseable {
    private static final class State implements Runnable {
        final Handle handle;
        final Context.State context;
        private final AtomicBoolean closed = new AtomicBoolean();

        State(long key, Context.State context) {
            handle = new Handle(key);
            this.context = context;
        }

        @Override
        public void run() {
            if (closed.compareAndSet(false, true)) {
                handle.free(Native::serverFree);
                context.children.remove(this);
            }
        }
    }

    private final Context context;
    private final State state;
    private final Cleaner.Cleanable cleanable;
    private final int port;

    private Server(Context context, long key) {
        this.context = context;
        state = new State(key, context.state);
        context.state.children.add(state);
        cleanable = Threads.CLEANER.register(this, state);
        port = state.handle.call(Native::serverPort);
    }

    /**
     * Starts a server on a free port of 127.0.0.1.
     *
     * @param context the context whose devices it serves
     * @return the server
     */
    public static Server start(Context context) {
        return start(context, "127.0.0.1:0");
    }

    /**
     * Starts a server.
     *
     * @param context the context whose devices it serves
     * @param listenAddress {@code host:port}; port 0 picks a free one
     * @return the server
     * @throws HaptixException with {@link Status#ERROR_CONNECT} when it cannot listen
     */
    public static Server start(Context context, String listenAddress) {
        byte[] options = Options.ServerOptions.newBuilder().setListenAddress(listenAddress).build()
            .toByteArray();
        return new Server(context, context.state.handle.call(k -> Native.serverNew(k, options)));
    }

    /** @return the TCP port it listens on */
    public int port() {
        return port;
    }

    /** @return {@code ws://127.0.0.1:<port>} */
    public URI url() {
        return URI.create("ws://127.0.0.1:" + port);
    }

    /** @return the context it serves */
    public Context context() {
        return context;
    }

    /**
     * Stops listening and disconnects its client (whose devices stop). Stopping twice is fine.
     *
     * @param timeout how long to wait at most
     */
    public void stop(Duration timeout) {
        state.handle.call(k -> {
            Native.serverStop(k, Threads.millis(timeout));
            return null;
        });
    }

    /** Stops and frees the server. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
