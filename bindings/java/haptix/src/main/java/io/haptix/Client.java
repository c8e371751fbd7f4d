package io.haptix;

import com.google.protobuf.ByteString;
import haptix.v1.EventOuterClass;
import haptix.v1.Options;
import haptix.v1.RequestOuterClass;
import java.lang.ref.Cleaner;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A client of a Buttplug server: the context's embedded server ({@link #connectEmbedded}) or a
 * remote one over WebSocket ({@link #connect}).
 *
 * <p>Connecting does not block: requests made before the client is connected are queued and
 * applied in order once it is ({@link #connected()} tells when). Every request returns a
 * {@link CompletableFuture} completed on the binding's completion executor (so a continuation
 * may block or call anything); {@link #call} waits on the calling thread instead and works on
 * any thread, including inside a listener. Events reach {@link EventListener}s on the client's
 * event thread and are also queued for {@link #nextEvent}.
 *
 * <p>Thread-safe. {@link #close()} is idempotent; a client that is not closed is closed by a
 * {@link java.lang.ref.Cleaner} once unreachable. Closing its context closes it too.
 */
public final class Client implements AutoCloseable {
    private final Context context;
    private final Context ownedContext;
    final ClientCore core;
    private final Cleaner.Cleanable cleanable;

    private Client(Context context, Context ownedContext, Options.ClientOptions options) {
        this.context = context;
        this.ownedContext = ownedContext;
        Context.State state = context.state;
        long key = state.handle.call(k -> Native.clientNew(k, options.toByteArray()));
        ClientCore[] self = new ClientCore[1];
        core = new ClientCore(key, () -> state.children.remove(self[0]));
        self[0] = core;
        state.children.add(core);
        cleanable = Threads.CLEANER.register(this, core);
    }

    /**
     * Connects to the context's embedded server.
     *
     * @param context the context
     * @return the client, connecting
     */
    public static Client connectEmbedded(Context context) {
        return connectEmbedded(context, "Haptix Java client", null);
    }

    /**
     * Connects to the context's embedded server.
     *
     * @param context the context
     * @param name the client's name
     * @param requestTimeout how long the server may take to answer a request (null = 10 s)
     * @return the client, connecting
     */
    public static Client connectEmbedded(Context context, String name, Duration requestTimeout) {
        var options = Options.ClientOptions.newBuilder().setClientName(name)
            .setEmbedded(Options.EmbeddedServer.getDefaultInstance());
        if (requestTimeout != null) {
            options.setRequestTimeoutMs(Math.max(1, Threads.millis(requestTimeout)));
        }
        return new Client(context, null, options.build());
    }

    /**
     * Connects to a remote server through a context's runtime.
     *
     * @param context the context
     * @param url a {@code ws://} or {@code wss://} URL
     * @return the client, connecting
     * @throws HaptixException with {@link Status#ERROR_INVALID_ARGUMENT} for another scheme
     */
    public static Client connect(Context context, URI url) {
        return new Client(context, null, Options.ClientOptions.newBuilder()
            .setClientName("Haptix Java client").setWebsocketUrl(url.toString()).build());
    }

    /**
     * Connects to a remote server with a context of its own (no buses), closed with the client.
     *
     * @param url a {@code ws://} or {@code wss://} URL
     * @return the client, connecting
     */
    public static Client connect(URI url) {
        Context own = Context.builder().buses().build();
        try {
            return new Client(own, own, Options.ClientOptions.newBuilder()
                .setClientName("Haptix Java client").setWebsocketUrl(url.toString()).build());
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** @return completes when connected, exceptionally when the connection failed */
    public CompletableFuture<Event.Connected> connected() {
        return core.connected.copy();
    }

    /** @return whether the client is connected now */
    public boolean isConnected() {
        return core.isConnected;
    }

    /** @return the context this client runs on */
    public Context context() {
        return context;
    }

    // ---- events ---------------------------------------------------------------------------

    /**
     * Adds a listener; it receives the events that come after this call, on the client's event
     * thread.
     *
     * @param listener the listener
     */
    public void addListener(EventListener listener) {
        core.listeners.add(listener);
    }

    /**
     * @param listener a listener added before
     */
    public void removeListener(EventListener listener) {
        core.listeners.remove(listener);
    }

    /**
     * Takes the next queued event (for callers that pump themselves; listeners get them too).
     * Up to 65,536 events are kept; beyond that the oldest are dropped ({@link #droppedEvents}).
     *
     * @param timeout how long to wait; zero returns at once
     * @return the event, or null when none came in time
     * @throws HaptixException with {@link Status#CLOSED} once the stream ended and was drained
     */
    public Event nextEvent(Duration timeout) {
        long end = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            Event event = core.polled.pollFirst();
            if (event != null) {
                return event;
            }
            if (core.streamEnded) {
                event = core.polled.pollFirst();
                if (event != null) {
                    return event;
                }
                throw new HaptixException(Status.CLOSED, "the client's event stream has ended");
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            try {
                event = core.polled.pollFirst(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)),
                    TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            if (event != null) {
                return event;
            }
        }
    }

    /** @return requests sent and not yet answered or cancelled (for tests) */
    int pendingRequests() {
        return core.pendingCount();
    }

    /** @return how many queued events were dropped because nobody took them */
    public long droppedEvents() {
        return core.dropped.get();
    }

    // ---- devices --------------------------------------------------------------------------

    /** @return the devices known now, by index */
    public Map<Integer, Device> devices() {
        return new TreeMap<>(core.devices);
    }

    /**
     * @param match a condition
     * @return the first known device matching it, now or when one is added
     */
    public CompletableFuture<Device> awaitDevice(Predicate<Device> match) {
        return core.awaitDevice(match);
    }

    /** @return the first device, now or when one is added */
    public CompletableFuture<Device> awaitDevice() {
        return core.awaitDevice(d -> true);
    }

    /** @return completes when the server started scanning */
    public CompletableFuture<Void> startScanning() {
        return empty(RequestOuterClass.Request.newBuilder()
            .setStartScanning(RequestOuterClass.StartScanning.getDefaultInstance()));
    }

    /** @return completes when the server stopped scanning */
    public CompletableFuture<Void> stopScanning() {
        return empty(RequestOuterClass.Request.newBuilder()
            .setStopScanning(RequestOuterClass.StopScanning.getDefaultInstance()));
    }

    /** @return the server's device list */
    public CompletableFuture<List<Device>> requestDeviceList() {
        return core.send(RequestOuterClass.Request.newBuilder()
            .setRequestDeviceList(RequestOuterClass.RequestDeviceList.getDefaultInstance()), r -> {
                List<Device> list = new ArrayList<>();
                for (var d : r.getDeviceList().getDevicesList()) {
                    Device known = core.devices.get(d.getIndex());
                    list.add(known != null ? known : core.toDevice(d));
                }
                return List.copyOf(list);
            });
    }

    /** @return completes when every device stopped (outputs and input subscriptions) */
    public CompletableFuture<Void> stopAll() {
        return empty(RequestOuterClass.Request.newBuilder()
            .setStopAll(RequestOuterClass.StopAll.getDefaultInstance()));
    }

    /** @return completes when the server answered */
    public CompletableFuture<Void> ping() {
        return empty(RequestOuterClass.Request.newBuilder()
            .setPing(RequestOuterClass.Ping.getDefaultInstance()));
    }

    /** @return completes when disconnected; the stream then ends with {@link Event.Disconnected} */
    public CompletableFuture<Void> disconnect() {
        return empty(RequestOuterClass.Request.newBuilder()
            .setDisconnect(RequestOuterClass.Disconnect.getDefaultInstance()));
    }

    // ---- simulated devices (embedded server) ----------------------------------------------

    /**
     * Adds a simulated device to the embedded server's simulated bus (found by the next scan).
     *
     * @param identifier the advertised name the database matches, e.g. {@code LVS-Hush}
     * @param address its address, or null to let the library pick one
     * @return the address used
     */
    public CompletableFuture<String> addSimulatedDevice(String identifier, String address) {
        var device = Options.SimulatedDevice.newBuilder().setIdentifier(identifier);
        if (address != null) {
            device.setAddress(address);
        }
        return core.send(RequestOuterClass.Request.newBuilder().setAddSimulatedDevice(
            RequestOuterClass.AddSimulatedDevice.newBuilder().setDevice(device)),
            r -> r.getSimulatedDevice().getAddress());
    }

    /**
     * @param address a simulated device's address
     * @return completes when it is gone
     */
    public CompletableFuture<Void> removeSimulatedDevice(String address) {
        return empty(RequestOuterClass.Request.newBuilder().setRemoveSimulatedDevice(
            RequestOuterClass.RemoveSimulatedDevice.newBuilder().setAddress(address)));
    }

    /**
     * Makes a simulated device send a notification, as hardware would.
     *
     * @param address the device's address
     * @param endpoint the endpoint name, e.g. {@code rx}
     * @param data the bytes (copied)
     * @return completes when delivered
     */
    public CompletableFuture<Void> injectNotification(String address, String endpoint, byte[] data) {
        return empty(RequestOuterClass.Request.newBuilder().setInjectNotification(
            RequestOuterClass.InjectNotification.newBuilder().setAddress(address)
                .setEndpoint(endpoint).setData(ByteString.copyFrom(data))));
    }

    /**
     * Takes what a simulated device received since the last call: the bytes a toy would get.
     *
     * @param address the device's address
     * @return its writes, oldest first
     */
    public CompletableFuture<List<Write>> takeWrites(String address) {
        return core.send(RequestOuterClass.Request.newBuilder().setTakeWrites(
            RequestOuterClass.TakeWrites.newBuilder().setAddress(address)), r -> {
                List<Write> writes = new ArrayList<>();
                for (EventOuterClass.Write w : r.getWrites().getWritesList()) {
                    writes.add(new Write(w.getEndpoint(), w.getData().toByteArray(), w.getWithResponse()));
                }
                return List.copyOf(writes);
            });
    }

    /**
     * A write a simulated device received.
     *
     * @param endpoint the endpoint name
     * @param data the bytes
     * @param withResponse whether it was a write with response
     */
    public record Write(String endpoint, byte[] data, boolean withResponse) {
        /** @return the bytes as text (ISO-8859-1), handy for text protocols */
        public String text() {
            return new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Write w && w.endpoint.equals(endpoint)
                && java.util.Arrays.equals(w.data, data) && w.withResponse == withResponse;
        }

        @Override
        public int hashCode() {
            return endpoint.hashCode() * 31 + java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "\"" + text() + "\" on " + endpoint;
        }
    }

    // ---- generic and synchronous requests ---------------------------------------------------

    /**
     * Sends any request (its id is set by the binding).
     *
     * @param request the request
     * @return its response
     */
    public CompletableFuture<EventOuterClass.Response> send(RequestOuterClass.Request.Builder request) {
        return core.send(request);
    }

    /**
     * Sends a request and waits for its response on this thread ({@code haptix_client_call}).
     * Works on any thread, including a listener's; the response does not appear among events.
     *
     * @param request the request (its id is set by the library)
     * @param timeout how long to wait at most (negative = the client's request timeout)
     * @return the response
     * @throws HaptixException with the response's status and message when it failed,
     *     {@link Status#ERROR_TIMED_OUT} after the timeout, {@link Status#CLOSED} once
     *     disconnected
     */
    public EventOuterClass.Response call(RequestOuterClass.Request.Builder request, Duration timeout) {
        return core.call(request, timeout);
    }

    private CompletableFuture<Void> empty(RequestOuterClass.Request.Builder request) {
        return core.send(request, r -> null);
    }

    /**
     * Disconnects and frees the client: pending requests complete exceptionally, the event
     * thread ends after delivering what it had. Idempotent; any thread, including a listener.
     */
    @Override
    public void close() {
        cleanable.clean();
        if (ownedContext != null) {
            ownedContext.close();
        }
    }
}
