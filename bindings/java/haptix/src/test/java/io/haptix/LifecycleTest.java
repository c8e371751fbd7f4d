package io.haptix;

import static io.haptix.Fixtures.HUSH;
import static io.haptix.Fixtures.await;
import static io.haptix.Fixtures.scanFor;
import static io.haptix.Fixtures.thrown;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Closing, the cleaner, shutdown and re-creation. */
class LifecycleTest {
    @Test
    void closeIsIdempotentAndLaterCallsGetTheLibrarysError() {
        Context context = Fixtures.hushContext();
        Client client = Client.connectEmbedded(context);
        Server server = Server.start(context);
        await(client.connected());
        client.close();
        client.close();
        HaptixException e = Fixtures.failure(client.ping());
        assertEquals(Status.ERROR_INVALID_HANDLE, e.status());
        assertTrue(e.libraryMessage().contains("client"), e.getMessage());
        server.close();
        server.close();
        HaptixException s = thrown(() -> server.stop(Duration.ofSeconds(1)));
        assertEquals(Status.ERROR_INVALID_HANDLE, s.status());
        context.close();
        context.close();
        HaptixException c = thrown(() -> Client.connectEmbedded(context));
        assertEquals(Status.ERROR_INVALID_HANDLE, c.status());
    }

    @Test
    void closeWhileRequestsArePendingFailsThemAsCancelled() throws Exception {
        try (StallServer stall = new StallServer()) {
            Client client = Client.connect(stall.url());
            await(client.connected());
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                pending.add(client.ping());
            }
            CompletableFuture<Device> never = client.awaitDevice();
            stall.awaitUnanswered("Ping", 5); // the server holds them: certainly pending
            assertTrue(pending.stream().noneMatch(CompletableFuture::isDone));
            client.close();
            client.close();
            // Cancelled by the binding, or failed by the library as its connection closed.
            for (CompletableFuture<Void> f : pending) {
                HaptixException e = Fixtures.failure(f);
                assertTrue(e.status() == Status.ERROR_CANCELLED || e.status() == Status.ERROR_NOT_CONNECTED,
                    e.getMessage());
                assertFalse(e.libraryMessage().isEmpty());
            }
            assertEquals(Status.ERROR_CANCELLED, Fixtures.failure(never).status());
            assertEquals(0, client.pendingRequests());
        }
    }

    @Test
    void closeWhileCommandsAreInFlightCompletesEveryFuture() {
        try (Context context = Fixtures.hushContext()) {
            Client client = Client.connectEmbedded(context);
            Device hush = scanFor(client, HUSH);
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pending.add(hush.vibrate((i % 20) / 20.0));
            }
            CompletableFuture<Device> never = client.awaitDevice(d -> d.name().equals("none"));
            client.close();
            // Each completes (bounded wait): applied before the close, or cancelled by it.
            for (CompletableFuture<Void> f : pending) {
                try {
                    await(f);
                } catch (HaptixException e) {
                    assertTrue(e.status() == Status.ERROR_CANCELLED || e.status() == Status.CLOSED,
                        e.getMessage());
                }
            }
            assertEquals(0, client.pendingRequests());
            HaptixException e = Fixtures.failure(never);
            assertTrue(e.status() == Status.ERROR_CANCELLED || e.status() == Status.CLOSED);
        }
    }

    @Test
    void closingTheContextClosesItsClientsAndServers() {
        Context context = Fixtures.hushContext();
        Client client = Client.connectEmbedded(context);
        Server.start(context);
        await(client.connected());
        assertEquals(2, context.openChildren());
        context.close();
        assertEquals(0, context.openChildren());
        assertEquals(Status.ERROR_INVALID_HANDLE, Fixtures.failure(client.ping()).status());
        client.close();
    }

    @Test
    void forgottenClientsAreFreedByTheCleaner() throws Exception {
        try (Context context = Fixtures.hushContext()) {
            for (int i = 0; i < 1000; i++) {
                Client.connectEmbedded(context);
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (context.openChildren() > 0 && System.nanoTime() < end) {
                System.gc();
                Thread.sleep(50);
            }
            assertEquals(0, context.openChildren());
            try (Client client = Client.connectEmbedded(context)) {
                await(client.ping());
            }
        }
    }

    @Test
    void contextShutdownAndRecreate100Times() {
        for (int i = 0; i < 100; i++) {
            Context context = Fixtures.hushContext();
            Client client = Client.connectEmbedded(context);
            await(client.ping());
            context.shutdown(Duration.ofSeconds(5));
            HaptixException e = Fixtures.failure(client.ping());
            assertTrue(e.status() == Status.ERROR_SHUT_DOWN || e.status() == Status.CLOSED,
                e.getMessage());
            context.close();
        }
    }

    @Test
    void badOptionsGiveTheLibrarysMessage() {
        HaptixException config = thrown(() -> Context.builder().deviceConfig("{nope".getBytes()).build());
        assertEquals(Status.ERROR_INVALID_CONFIG, config.status());
        HaptixException sim = thrown(() -> Context.builder().simulatedDevice("", null).build());
        assertEquals(Status.ERROR_INVALID_ARGUMENT, sim.status());
        try (Context context = Context.builder().build()) {
            HaptixException url = thrown(() -> Client.connect(context, java.net.URI.create("http://127.0.0.1:1")));
            assertEquals(Status.ERROR_INVALID_ARGUMENT, url.status());
            assertTrue(url.libraryMessage().contains("ws"), url.getMessage());
            HaptixException listen = thrown(() -> Server.start(context, "not an address"));
            assertTrue(listen.status() == Status.ERROR_INVALID_ARGUMENT
                || listen.status() == Status.ERROR_CONNECT, listen.getMessage());
        }
    }

    @Test
    void logRecordsReachTheContextQueue() {
        try (Context context = Context.builder().simulatedDevice("LVS-Hush", HUSH)
                .logLevel(LogLevel.DEBUG).build();
             Client client = Client.connectEmbedded(context)) {
            scanFor(client, HUSH);
            Context.LogRecord record = null;
            for (int i = 0; i < 100 && record == null; i++) {
                record = context.nextLog(Duration.ofMillis(200));
            }
            assertTrue(record != null, "no log record");
            assertTrue(record.level() != null && !record.message().isEmpty(), record.toString());
        }
    }

    @Test
    void foreignHandlesAreRefused() {
        HaptixException e = thrown(() -> Native.clientSend(0x1234_5670L, new byte[0]));
        assertEquals(Status.ERROR_INVALID_HANDLE, e.status());
        HaptixException n = thrown(() -> Native.clientNextEvent(0, 0));
        assertEquals(Status.ERROR_NULL_POINTER, n.status());
        Native.clientFree(0x1234_5670L);
        Native.contextFree(42);
        HaptixException p = thrown(() -> Native.contextNew(99, null));
        assertEquals(Status.ERROR_ABI_MISMATCH, p.status());
        // The pump's natives: the library refuses a foreign key; a key never watched (or freed)
        // has no watch; waking one is a no-op.
        assertEquals(Status.ERROR_INVALID_HANDLE, thrown(() -> Native.clientWatch(0x1234_5670L)).status());
        HaptixException w = thrown(() -> Native.clientAwaitEvents(0x1234_5670L, 0));
        assertEquals(Status.ERROR_INVALID_HANDLE, w.status());
        assertTrue(w.libraryMessage().contains("not watched"), w.getMessage());
        Native.clientWake(0x1234_5670L);
    }

    @Test
    void aFreedClientHasNoWatchLeft() {
        try (Context context = Context.builder().build()) {
            Client client = Client.connectEmbedded(context);
            long key = client.core.handle.key;
            await(client.ping());
            // Watched while open (the wait may take the pump's signal: it is given back).
            assertDoesNotThrow(() -> Native.clientAwaitEvents(key, 0));
            Native.clientWake(key);
            client.close();
            assertEquals(Status.ERROR_INVALID_HANDLE, thrown(() -> Native.clientAwaitEvents(key, 0)).status());
            assertEquals(Status.ERROR_INVALID_HANDLE, thrown(() -> Native.clientWatch(key)).status());
        }
    }
}
