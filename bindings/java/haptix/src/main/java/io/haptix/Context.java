package io.haptix;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import haptix.v1.EventOuterClass;
import haptix.v1.Options;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A library context: its runtime, the embedded server with its device database and buses, and
 * the clients and servers created from it. Build one with {@link #builder()}; close it (or let
 * the {@link java.lang.ref.Cleaner} do it) to shut it down: closing first closes its clients
 * and servers. Thread-safe; {@link #close()} is idempotent.
 */
public final class Context implements AutoCloseable {
    /** The native side; reachable from the cleaner, so it never refers to the Context. */
    static final class State implements Runnable {
        final Handle handle;
        final Set<Runnable> children = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean closed = new AtomicBoolean();

        State(long key) {
            handle = new Handle(key);
        }

        @Override
        public void run() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            for (Runnable child : new ArrayList<>(children)) {
                child.run();
            }
            handle.free(Native::contextFree);
        }
    }

    final State state;
    private final Cleaner.Cleanable cleanable;

    private Context(long key) {
        state = new State(key);
        cleanable = Threads.CLEANER.register(this, state);
    }

    /** @return a builder with the library's defaults (built-in database, simulated bus only) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Shuts the context down: stops every device output, ends its clients' streams (each gets
     * its final events) and servers. Later calls on it and its clients fail with
     * {@link Status#ERROR_SHUT_DOWN}. Blocks up to about {@code timeout}.
     *
     * @param timeout how long to wait at most
     */
    public void shutdown(Duration timeout) {
        state.handle.call(k -> {
            Native.contextShutdown(k, Threads.millis(timeout));
            return null;
        });
        // The clients' last events are queued after the library's notifier stopped: their pumps
        // take them now instead of at the end of their current wait.
        for (Runnable child : state.children) {
            if (child instanceof ClientCore core) {
                core.wakePump();
            }
        }
    }

    /**
     * Takes the context's next log record (when the builder asked for a log level).
     *
     * @param timeout how long to wait; zero returns at once
     * @return the record, or null when none came in time
     * @throws HaptixException with {@link Status#CLOSED} once shut down and drained
     */
    public LogRecord nextLog(Duration timeout) {
        byte[] bytes = state.handle.call(k -> Native.contextNextEvent(k, Threads.millis(timeout)));
        if (bytes == null) {
            return null;
        }
        try {
            EventOuterClass.Event event = EventOuterClass.Event.parseFrom(bytes);
            EventOuterClass.LogRecord log = event.getLog();
            return new LogRecord(LogLevel.fromNumber(log.getLevelValue()), log.getTarget(),
                log.getMessage(), log.getTimestampMs());
        } catch (InvalidProtocolBufferException e) {
            throw new HaptixException(Status.ERROR_INVALID_PROTOBUF, e.getMessage());
        }
    }

    /**
     * A log record of the library.
     *
     * @param level its level
     * @param target the module that logged it
     * @param message the text
     * @param timestampMs milliseconds since the Unix epoch
     */
    public record LogRecord(LogLevel level, String target, String message, long timestampMs) {}

    /** Closes its clients and servers, shuts down and frees the context. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    /** Options of a new context. Not thread-safe. */
    public static final class Builder {
        private final Options.ContextOptions.Builder options = Options.ContextOptions.newBuilder();

        private Builder() {}

        /**
         * Adds a simulated device to the simulated bus.
         *
         * @param identifier the advertised name or identifier the database matches, e.g.
         *     {@code LVS-Hush}
         * @param address its address (what {@link Client#takeWrites} takes), or null to let the
         *     library pick one
         * @return this builder
         */
        public Builder simulatedDevice(String identifier, String address) {
            var device = Options.SimulatedDevice.newBuilder().setIdentifier(identifier);
            if (address != null) {
                device.setAddress(address);
            }
            options.addSimulatedDevices(device);
            return this;
        }

        /**
         * @param path a device configuration file to use instead of the built-in database
         * @return this builder
         */
        public Builder deviceConfigFile(Path path) {
            options.setDeviceConfigPath(path.toString());
            return this;
        }

        /**
         * @param json a device configuration to use instead of the built-in database
         * @return this builder
         */
        public Builder deviceConfig(byte[] json) {
            options.setDeviceConfigJson(ByteString.copyFrom(json));
            return this;
        }

        /**
         * @param path a user device configuration file
         * @return this builder
         */
        public Builder userConfigFile(Path path) {
            options.setUserConfigPath(path.toString());
            return this;
        }

        /**
         * @param json a user device configuration
         * @return this builder
         */
        public Builder userConfig(byte[] json) {
            options.setUserConfigJson(ByteString.copyFrom(json));
            return this;
        }

        /**
         * @param buses the buses to scan (default: the simulated one)
         * @return this builder
         */
        public Builder buses(Bus... buses) {
            options.clearCommManagers();
            for (Bus bus : buses) {
                options.addCommManagersValue(bus.number());
            }
            return this;
        }

        /**
         * @param level the level of log records {@link Context#nextLog} returns
         * @return this builder
         */
        public Builder logLevel(LogLevel level) {
            options.setLogLevelValue(level.number());
            return this;
        }

        /**
         * @param name the embedded server's name
         * @return this builder
         */
        public Builder serverName(String name) {
            options.setServerName(name);
            return this;
        }

        /**
         * @param threads the runtime's worker threads (0 = the library's default)
         * @return this builder
         */
        public Builder workerThreads(int threads) {
            options.setWorkerThreads(threads);
            return this;
        }

        /**
         * Adds the address of a Lovense Connect app, for {@link Bus#LOVENSE_CONNECT}.
         *
         * @param address {@code host:port} as the app shows it
         * @return this builder
         */
        public Builder lovenseConnectAddress(String address) {
            options.addLovenseConnectAddresses(address);
            return this;
        }

        /**
         * Names the serial port of the Lovense USB dongle, for {@link Bus#LOVENSE_DONGLE_SERIAL}
         * (without it the dongle is found by its USB ids).
         *
         * @param port the port, e.g. {@code /dev/ttyUSB0}
         * @return this builder
         */
        public Builder lovenseDonglePort(String port) {
            options.setLovenseDonglePort(port);
            return this;
        }

        /**
         * Creates the context.
         *
         * @return the context; close it when done
         * @throws HaptixException for a bad option (the library's status and message)
         */
        public Context build() {
            Native.ensureLoaded();
            return new Context(Native.contextNew(Native.ABI_VERSION, options.build().toByteArray()));
        }
    }

    /** @return the handles still open on this context (for tests) */
    int openChildren() {
        return state.children.size();
    }
}
