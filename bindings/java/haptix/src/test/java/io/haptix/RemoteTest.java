package io.haptix;

import static io.haptix.Fixtures.HUSH;
import static io.haptix.Fixtures.await;
import static io.haptix.Fixtures.nextOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A client over ws://127.0.0.1:<free port> to a server handle, and the server going away. */
class RemoteTest {
    @Test
    void remoteClientDrivesTheServersToy() {
        try (Context serverSide = Fixtures.hushContext();
             Server server = Server.start(serverSide);
             Client observer = Client.connectEmbedded(serverSide);
             Client remote = Client.connect(server.url())) {
            assertTrue(server.port() > 0);
            Event.Connected connected = await(remote.connected());
            assertEquals(4, connected.specVersion());
            await(remote.startScanning());
            Device hush = await(remote.awaitDevice());
            assertEquals("Lovense Hush", hush.name());
            await(observer.takeWrites(HUSH));
            await(hush.vibrate(0.5));
            assertEquals("Vibrate:10;", Fixtures.writesUntil(observer, HUSH, w -> !w.isEmpty()).get(0).text());
            await(remote.stopScanning());
        }
    }

    @Test
    void serverGoingAwayFailsPendingFuturesAndEmitsDisconnected() {
        try (Context serverSide = Fixtures.hushContext();
             Server server = Server.start(serverSide);
             Client remote = Client.connect(server.url())) {
            await(remote.startScanning());
            Device hush = await(remote.awaitDevice());
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                pending.add(hush.vibrate((i % 20) / 20.0));
            }
            server.stop(Duration.ofSeconds(5));
            for (CompletableFuture<Void> f : pending) {
                try {
                    await(f);
                } catch (HaptixException e) {
                    assertTrue(e.status() >= 100 || e.status() == Status.CLOSED, e.getMessage());
                }
            }
            Event.Disconnected d = nextOf(remote, Event.Disconnected.class);
            assertTrue(d.reason() != null);
            assertFalse(remote.isConnected());
            assertFalse(hush.connected());
            HaptixException after = Fixtures.failure(hush.vibrate(0.5));
            assertTrue(after.status() == Status.CLOSED || after.status() == Status.ERROR_NOT_CONNECTED
                || after.status() == Status.ERROR_CANCELLED, after.getMessage());
        }
    }

    @Test
    void aServerGoingAwayFailsEveryPendingRequestAndEmitsDisconnected() throws Exception {
        try (StallServer stall = new StallServer(); Client client = Client.connect(stall.url())) {
            assertEquals("stalled", await(client.connected()).serverName());
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pending.add(client.ping());
            }
            stall.awaitUnanswered("Ping", 3); // certainly in flight: the server has them
            assertTrue(pending.stream().noneMatch(CompletableFuture::isDone));
            assertEquals(3, client.pendingRequests());

            stall.goAway();
            for (CompletableFuture<Void> f : pending) {
                HaptixException e = Fixtures.failure(f);
                assertTrue(e.status() == Status.ERROR_CANCELLED || e.status() == Status.ERROR_NOT_CONNECTED
                    || e.status() == Status.ERROR_TRANSPORT, e.getMessage());
            }
            Event.Disconnected d = nextOf(client, Event.Disconnected.class);
            assertTrue(d.status() != 0, "an unexpected disconnection carries its status: " + d);
            assertFalse(client.isConnected());
            assertEquals(0, client.pendingRequests());
            HaptixException after = Fixtures.failure(client.ping());
            assertTrue(after.status() == Status.ERROR_NOT_CONNECTED || after.status() == Status.CLOSED,
                after.getMessage());
        }
    }

    @Test
    void connectingToNothingFailsTheConnectedFuture() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Client client = Client.connect(java.net.URI.create("ws://127.0.0.1:" + port))) {
            HaptixException e = Fixtures.failure(client.connected());
            assertTrue(e.status() != Status.OK);
            assertTrue(nextOf(client, Event.Disconnected.class).status() != 0);
        }
    }
}
