package io.haptix;

import com.google.protobuf.InvalidProtocolBufferException;
import haptix.v1.DeviceOuterClass;
import haptix.v1.EventOuterClass;
import haptix.v1.RequestOuterClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The native side of a {@link Client}: the handle, the pump, pending requests, devices and
 * listeners. Reachable from the cleaner and the pump thread, so it never refers to the Client
 * (or the Context) object, which can therefore be collected.
 *
 * <p>Events are taken from the library with a non-blocking {@code haptix_client_next_event},
 * always under {@link #taking}, so they are handled one at a time in the library's order:
 * responses are handed to their request's future, the device map is kept, and every other event
 * is queued for {@link Client#nextEvent} and for the listeners, which run on the client's event
 * thread. Two kinds of thread take events, and neither runs user code while it does:
 *
 * <ul>
 *   <li>the pump, one daemon thread that waits in {@code Native.clientAwaitEvents} (woken by the
 *       client's wake-up notifier when the queue goes from empty to non-empty; it holds no event
 *       while it waits) and then takes what is waiting;
 *   <li>a thread blocked in {@code join()}/{@code get()} on a request's future, which takes the
 *       waiting events itself until its response is among them, when no other thread is taking
 *       ({@link #helpTake}); a response often waits in the queue as soon as the request was
 *       sent, and this spares the two thread switches of going through the pump.
 * </ul>
 */
final class ClientCore implements Runnable {
    /**
     * How long one pump wait lasts before it takes what is waiting anyway (a safety net for a
     * missed wake-up: after a context shutdown the notifier no longer runs).
     */
    private static final int PUMP_WAIT_MS = 200;
    /** Events kept for {@link Client#nextEvent} before the oldest is dropped. */
    static final int POLL_CAPACITY = 65_536;

    final Handle handle;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<Long, PendingRequest<?>> pending = new ConcurrentHashMap<>();
    final Map<Integer, Device> devices = new ConcurrentHashMap<>();
    private final List<DeviceWaiter> deviceWaiters = new CopyOnWriteArrayList<>();
    final List<EventListener> listeners = new CopyOnWriteArrayList<>();
    final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    final BlockingDeque<Event> polled = new LinkedBlockingDeque<>();
    final AtomicLong dropped = new AtomicLong();
    final CompletableFuture<Event.Connected> connected = new CompletableFuture<>();
    volatile boolean isConnected;
    /** Set once the stream ended: every event was taken from the library. */
    volatile boolean streamEnded;
    private volatile ExecutorService eventThread;
    private final Thread pump;
    /** Held by the thread taking events from the library: keeps their handling in order. */
    private final ReentrantLock taking = new ReentrantLock();
    /** Set once the library ended the stream (every event taken) or the handle is gone. */
    private volatile boolean drained;

    private record DeviceWaiter(Predicate<Device> match, CompletableFuture<Device> future) {}

    /**
     * Takes ownership of a client handle and starts its pump.
     *
     * @throws HaptixException when the client cannot be watched (its context was shut down);
     *     the handle is freed then
     */
    ClientCore(long key, Runnable onClose) {
        handle = new Handle(key);
        this.onClose = onClose;
        try {
            Native.clientWatch(key);
        } catch (RuntimeException e) {
            Native.clientFree(key);
            throw e;
        }
        pump = Threads.daemon("haptix-pump", this::pumpLoop);
        pump.start();
    }

    // ---- requests ------------------------------------------------------------------------

    /** Sends a request; its future completes with the response. */
    PendingRequest<EventOuterClass.Response> send(RequestOuterClass.Request.Builder request) {
        return send(request, r -> r);
    }

    /**
     * Sends a request; its future completes with {@code mapper} applied to the response (on the
     * thread that waits for it, or the completion executor; never on the pump), or exceptionally
     * with the response's status and message.
     */
    <T> PendingRequest<T> send(RequestOuterClass.Request.Builder request,
                               java.util.function.Function<EventOuterClass.Response, T> mapper) {
        long id = nextId.getAndIncrement();
        PendingRequest<T> future = new PendingRequest<>(this, id, mapper);
        pending.put(id, future);
        try {
            byte[] bytes = request.setId(id).build().toByteArray();
            handle.call(k -> Native.clientSend(k, bytes));
        } catch (RuntimeException e) {
            pending.remove(id);
            future.completeExceptionally(e);
        }
        return future;
    }

    /** Forgets a request whose future was cancelled. */
    void forget(PendingRequest<?> future) {
        pending.remove(future.id, future);
    }

    /** Sends a request and waits for its response on this thread ({@code haptix_client_call}). */
    EventOuterClass.Response call(RequestOuterClass.Request.Builder request, Duration timeout) {
        byte[] bytes = request.setId(0).build().toByteArray();
        byte[] reply = handle.call(k -> Native.clientCall(k, bytes, Threads.millis(timeout)));
        EventOuterClass.Response response;
        try {
            response = EventOuterClass.Event.parseFrom(reply).getResponse();
        } catch (InvalidProtocolBufferException e) {
            throw new HaptixException(Status.ERROR_INVALID_PROTOBUF, e.getMessage());
        }
        if (response.getStatus() != Status.OK) {
            throw new HaptixException(response.getStatus(), response.getMessage());
        }
        return response;
    }

    /** A device matching {@code match}, now or when it is added. */
    CompletableFuture<Device> awaitDevice(Predicate<Device> match) {
        CompletableFuture<Device> future = new CompletableFuture<>();
        DeviceWaiter waiter = new DeviceWaiter(match, future);
        deviceWaiters.add(waiter);
        future.whenComplete((d, e) -> deviceWaiters.remove(waiter));
        for (Device d : devices.values()) {
            if (d.connected() && match.test(d)) {
                future.complete(d);
                break;
            }
        }
        if (closed.get()) {
            future.completeExceptionally(new HaptixException(Status.CLOSED, "the client is closed"));
        }
        return future;
    }

    /** @return requests sent and not yet answered (for tests) */
    int pendingCount() {
        return pending.size();
    }

    // ---- the pump ------------------------------------------------------------------------

    private void pumpLoop() {
        while (!closing && !drained) {
            taking.lock();
            try {
                takeWaiting(null);
            } finally {
                taking.unlock();
            }
            if (closing || drained) {
                break;
            }
            try {
                // Woken by the notifier, by a thread that left events behind, or by close.
                handle.call(k -> handle.freed() ? null : Native.clientAwaitEvents(k, PUMP_WAIT_MS));
            } catch (RuntimeException e) {
                break; // the handle is gone
            }
        }
        ended(closing ? new HaptixException(Status.ERROR_CANCELLED, "the client was closed")
            : new HaptixException(Status.CLOSED, "the client's event stream has ended"));
    }

    /**
     * Takes and handles the events waiting in the library, without blocking, until none is left
     * or {@code until} has its outcome (then it looks once more, so that an empty queue is known
     * as such). The caller holds {@link #taking}.
     *
     * @return whether it stopped because none was left (or the stream ended)
     */
    private boolean takeWaiting(PendingRequest<?> until) {
        if (until != null && until.arrived()) {
            return true; // handed over by the pump, which takes the rest
        }
        boolean last = false;
        while (true) {
            byte[] bytes;
            try {
                bytes = handle.call(k -> handle.freed() ? null : Native.clientNextEvent(k, 0));
            } catch (RuntimeException e) {
                drained = true; // CLOSED (every event taken) or the handle is gone
                return true;
            }
            if (bytes == null) {
                return true;
            }
            try {
                dispatch(bytes);
            } catch (RuntimeException | InvalidProtocolBufferException e) {
                publish(new Event.ErrorReport(Status.ERROR_INTERNAL,
                    "the binding could not handle an event: " + e));
            }
            if (last) {
                return false;
            }
            last = until != null && until.arrived();
        }
    }

    /**
     * Called by a thread about to wait for {@code request}'s response: when no other thread is
     * taking events, takes the waiting ones itself until the response is among them. Events it
     * leaves behind, and the end of the stream, are passed on to the pump.
     */
    void helpTake(PendingRequest<?> request) {
        if (closing || drained || !taking.tryLock()) {
            return;
        }
        boolean empty;
        try {
            empty = takeWaiting(request);
        } finally {
            taking.unlock();
        }
        if (!empty || drained) {
            wakePump();
        }
    }

    /** Ends the pump's current (or next) wait at once. */
    void wakePump() {
        try {
            handle.call(k -> {
                if (!handle.freed()) {
                    Native.clientWake(k);
                }
                return null;
            });
        } catch (RuntimeException e) {
            // the handle is gone: the pump's wait fails and it ends
        }
    }

    /** Handles one serialized event taken from the library (package-private for tests). */
    void dispatch(byte[] bytes) throws InvalidProtocolBufferException {
        EventOuterClass.Event event = EventOuterClass.Event.parseFrom(bytes);
        switch (event.getKindCase()) {
            case RESPONSE -> {
                PendingRequest<?> future = pending.remove(event.getRequestId());
                if (future != null) {
                    future.handOver(event.getResponse());
                }
            }
            case CONNECTED -> {
                isConnected = true;
                var c = new Event.Connected(event.getConnected().getServerName(),
                    event.getConnected().getSpecVersion());
                Threads.COMPLETION.execute(() -> connected.complete(c));
                publish(c);
            }
            case DISCONNECTED -> {
                isConnected = false;
                var d = new Event.Disconnected(event.getDisconnected().getReason(),
                    event.getDisconnected().getStatus());
                HaptixException why = new HaptixException(
                    d.status() == 0 ? Status.CLOSED : d.status(), "disconnected: " + d.reason());
                Threads.COMPLETION.execute(() -> connected.completeExceptionally(why));
                for (Device device : devices.values()) {
                    device.connected = false;
                }
                publish(d);
            }
            case DEVICE_ADDED -> {
                Device device = toDevice(event.getDeviceAdded().getDevice());
                devices.put(device.index(), device);
                for (DeviceWaiter w : deviceWaiters) {
                    if (w.match().test(device)) {
                        Threads.COMPLETION.execute(() -> w.future().complete(device));
                    }
                }
                publish(new Event.DeviceAdded(device));
            }
            case DEVICE_REMOVED -> {
                int index = event.getDeviceRemoved().getDeviceIndex();
                Device device = devices.remove(index);
                if (device != null) {
                    device.connected = false;
                }
                publish(new Event.DeviceRemoved(index, device));
            }
            case SCANNING_FINISHED -> publish(new Event.ScanningFinished());
            case INPUT_READING -> {
                var r = event.getInputReading();
                publish(new Event.InputReading(r.getDeviceIndex(), r.getFeatureIndex(),
                    InputType.fromNumber(r.getInputTypeValue()), r.getValue()));
            }
            case ERROR -> publish(new Event.ErrorReport(event.getError().getStatus(),
                event.getError().getMessage()));
            default -> { }
        }
    }

    Device toDevice(DeviceOuterClass.Device d) {
        List<Feature> features = new ArrayList<>();
        for (DeviceOuterClass.Feature f : d.getFeaturesList()) {
            List<Feature.Output> outputs = new ArrayList<>();
            for (DeviceOuterClass.FeatureOutput o : f.getOutputsList()) {
                outputs.add(new Feature.Output(OutputType.fromNumber(o.getOutputTypeValue()),
                    range(o.getValue()), o.hasDuration() ? range(o.getDuration()) : null));
            }
            List<Feature.Input> inputs = new ArrayList<>();
            for (DeviceOuterClass.FeatureInput i : f.getInputsList()) {
                List<Feature.Range> ranges = new ArrayList<>();
                i.getValueList().forEach(r -> ranges.add(range(r)));
                List<Integer> commands = i.getCommandsValueList();
                inputs.add(new Feature.Input(InputType.fromNumber(i.getInputTypeValue()),
                    List.copyOf(ranges), commands.contains(DeviceOuterClass.InputCommand.INPUT_COMMAND_READ_VALUE),
                    commands.contains(DeviceOuterClass.InputCommand.INPUT_COMMAND_SUBSCRIBE_VALUE)));
            }
            features.add(new Feature(f.getIndex(), f.getDescription(), List.copyOf(outputs),
                List.copyOf(inputs)));
        }
        return new Device(this, d.getIndex(), d.getName(), d.getDisplayName(), d.getAddress(),
            d.getMessageTimingGapMs(), List.copyOf(features));
    }

    private static Feature.Range range(DeviceOuterClass.Range r) {
        return new Feature.Range(r.getMin(), r.getMax());
    }

    /** Queues an event for polling and hands it to the listeners on the event thread. */
    private void publish(Event event) {
        if (!polled.offerLast(event) || polled.size() > POLL_CAPACITY) {
            if (polled.pollFirst() != null) {
                dropped.incrementAndGet();
            }
        }
        if (listeners.isEmpty() && subscriptions.isEmpty()) {
            return;
        }
        ExecutorService thread = eventThread();
        if (thread == null) {
            return;
        }
        try {
            thread.execute(() -> deliver(event));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile: nobody is listening any more
        }
    }

    private void deliver(Event event) {
        for (EventListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                Thread t = Thread.currentThread();
                t.getUncaughtExceptionHandler().uncaughtException(t, e);
            }
        }
        if (event instanceof Event.InputReading reading) {
            for (Subscription s : subscriptions) {
                s.offer(reading);
            }
        }
    }

    private synchronized ExecutorService eventThread() {
        if (eventThread == null && !closed.get()) {
            eventThread = Executors.newSingleThreadExecutor(r -> Threads.daemon("haptix-events", r));
        }
        return eventThread;
    }

    /** The stream ended (or the client closed): fails what still waits. */
    private void ended(HaptixException why) {
        isConnected = false;
        streamEnded = true;
        for (var entry : pending.entrySet()) {
            if (pending.remove(entry.getKey(), entry.getValue())) {
                entry.getValue().handOver(why);
            }
        }
        for (DeviceWaiter w : deviceWaiters) {
            Threads.COMPLETION.execute(() -> w.future().completeExceptionally(why));
        }
        Threads.COMPLETION.execute(() -> connected.completeExceptionally(why));
    }

    // ---- closing -------------------------------------------------------------------------

    boolean closed() {
        return closed.get();
    }

    /**
     * Closes once: asks the library to disconnect (which cancels waiting requests and ends the
     * stream), stops the pump, frees the handle after every running call returned, and fails
     * what still waits. Runs on the closing thread or the cleaner; never on the pump.
     */
    @Override
    public void run() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing = true; // first: what still waits is cancelled by this close, whoever ends it
        try {
            RequestOuterClass.Request.Builder bye = RequestOuterClass.Request.newBuilder()
                .setDisconnect(RequestOuterClass.Disconnect.getDefaultInstance())
                .setId(nextId.getAndIncrement());
            handle.call(k -> Native.clientSend(k, bye.build().toByteArray()));
        } catch (RuntimeException e) {
            // already disconnected or shut down
        }
        wakePump();
        if (Thread.currentThread() != pump) {
            try {
                pump.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        handle.free(Native::clientFree);
        ended(new HaptixException(Status.ERROR_CANCELLED, "the client was closed"));
        ExecutorService thread;
        synchronized (this) {
            thread = eventThread;
        }
        if (thread != null) {
            thread.shutdown();
        }
        onClose.run();
    }
}
