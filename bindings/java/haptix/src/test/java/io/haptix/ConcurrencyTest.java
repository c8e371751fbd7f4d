package io.haptix;

import static io.haptix.Fixtures.HUSH;
import static io.haptix.Fixtures.await;
import static io.haptix.Fixtures.scanFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import haptix.v1.RequestOuterClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The event model: listeners that call anything, threads sending at once. */
class ConcurrencyTest {
    @Test
    void aListenerMayWaitForResponsesWithoutDeadlock() {
        try (Context context = Fixtures.hushContext(); Client client = Client.connectEmbedded(context)) {
            CompletableFuture<String> done = new CompletableFuture<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            client.addListener(event -> {
                if (event instanceof Event.DeviceAdded added) {
                    threads.add(Thread.currentThread().getName());
                    try {
                        // a future joined on the listener thread...
                        added.device().vibrate(0.5).join();
                        double battery = added.device().battery().join();
                        // ...a synchronous call (haptix_client_call) on the listener thread...
                        client.call(RequestOuterClass.Request.newBuilder()
                            .setPing(RequestOuterClass.Ping.getDefaultInstance()), Duration.ofSeconds(10));
                        // ...and a list request that needs the pump while we block it.
                        int devices = client.requestDeviceList().join().size();
                        done.complete(battery + "/" + devices);
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                }
            });
            await(client.startScanning());
            assertEquals("0.85/1", await(done));
            assertTrue(threads.get(0).startsWith("haptix-events"), threads.toString());
        }
    }

    @Test
    void aListenerMayCloseItsOwnClientAndContext() {
        Context context = Fixtures.hushContext();
        Client client = Client.connectEmbedded(context);
        CompletableFuture<Void> closed = new CompletableFuture<>();
        client.addListener(event -> {
            if (event instanceof Event.DeviceAdded) {
                client.close();
                context.close();
                closed.complete(null);
            }
        });
        await(client.startScanning());
        await(closed);
        assertEquals(Status.ERROR_INVALID_HANDLE, Fixtures.failure(client.ping()).status());
        assertEquals(0, context.openChildren());
    }

    @Test
    void continuationsMayBlockWithoutStallingOtherResponses() {
        try (Context context = Fixtures.hushContext(); Client client = Client.connectEmbedded(context)) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            CompletableFuture<Void> blocked = client.ping().thenRun(gate::join);
            await(client.ping());
            await(client.ping());
            assertFalse(blocked.isDone());
            gate.complete(null);
            await(blocked);
        }
    }

    @Test
    void eventsKeepTheLibrarysOrderWhicheverThreadTakesThem() throws Exception {
        try (Context context = Context.builder().simulatedDevice("Boost", "boost-1").build();
             Client client = Client.connectEmbedded(context)) {
            Device boost = scanFor(client, "boost-1");
            List<Long> consumer = new CopyOnWriteArrayList<>();
            List<Long> listener = new CopyOnWriteArrayList<>();
            await(boost.subscribe(InputType.PRESSURE, 0, r -> consumer.add(r.value())));
            client.addListener(e -> {
                if (e instanceof Event.InputReading r) {
                    listener.add(r.value());
                }
            });
            // Four threads wait for responses all along, so they take events too.
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> pingers = new ArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            client.ping().join();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                pingers.add(thread);
                thread.start();
            }
            int n = 200;
            for (int i = 1; i <= n; i++) {
                // A KGoal Boost pressure notification with normalised value i.
                await(client.injectNotification("boost-1", "rxpressure",
                    new byte[] {0, 1, 4, (byte) (i >> 8), (byte) i, 1, 0}));
            }
            long end = System.nanoTime() + Fixtures.WAIT_S * 1_000_000_000L;
            while ((consumer.size() < n || listener.size() < n) && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            stop.set(true);
            for (Thread thread : pingers) {
                thread.join(Fixtures.WAIT_S * 1000);
            }
            assertEquals(List.of(), errors);
            List<Long> expected = java.util.stream.LongStream.rangeClosed(1, n).boxed().toList();
            assertEquals(expected, consumer);
            assertEquals(expected, listener);
            List<Long> polled = new ArrayList<>();
            Event e;
            while ((e = client.nextEvent(Duration.ZERO)) != null) {
                if (e instanceof Event.InputReading r) {
                    polled.add(r.value());
                }
            }
            assertEquals(expected, polled);
        }
    }

    @Test
    void eightThreadsSendWhileTheListenerConsumes() throws Exception {
        try (Context context = Fixtures.hushContext(); Client client = Client.connectEmbedded(context)) {
            Device hush = scanFor(client, HUSH);
            AtomicInteger seen = new AtomicInteger();
            AtomicInteger batteries = new AtomicInteger();
            client.addListener(event -> {
                seen.incrementAndGet();
                // A waiting call from the listener while the senders' threads take events too.
                if (event instanceof Event.DeviceAdded added && added.device().battery().join() == 0.85) {
                    batteries.incrementAndGet();
                }
            });
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            AtomicInteger ok = new AtomicInteger();
            for (int t = 0; t < 8; t++) {
                int id = t;
                Thread thread = new Thread(() -> {
                    try {
                        for (int i = 0; i < 250; i++) {
                            if (i % 50 == 0) {
                                client.addSimulatedDevice("LVS-Hush", "extra-" + id + "-" + i).join();
                            }
                            hush.vibrate((i % 21) / 20.0).join();
                            ok.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            await(client.startScanning());
            for (Thread thread : threads) {
                thread.join(Fixtures.WAIT_S * 1000);
            }
            assertEquals(List.of(), errors);
            assertEquals(2000, ok.get());
            // The listener saw the devices the senders added (events kept flowing meanwhile).
            long end = System.nanoTime() + Fixtures.WAIT_S * 1_000_000_000L;
            while (client.devices().size() < 41 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertEquals(41, client.devices().size());
            // The listener runs on its own thread: it sees them shortly after the device map.
            while (batteries.get() < 40 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertTrue(seen.get() >= 40, "the listener saw " + seen.get() + " events");
            assertEquals(40, batteries.get(), "battery reads from the listener");
        }
    }
}
