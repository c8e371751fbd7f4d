package io.haptix;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers: simulated toys, bounded waits (a hang fails the test instead of blocking). */
final class Fixtures {
    private Fixtures() {}

    static final String HUSH = "hush-1";

    /** A bound on every wait, so that a bug fails a test instead of hanging it. */
    static final long WAIT_S = 20;

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(WAIT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError(cause);
        } catch (TimeoutException e) {
            throw new AssertionError("no completion within " + WAIT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The HaptixException a future completes with. */
    static HaptixException failure(CompletableFuture<?> future) {
        HaptixException e = assertThrows(HaptixException.class, () -> await(future));
        return e;
    }

    static HaptixException thrown(Executable body) {
        return assertThrows(HaptixException.class, body);
    }

    static Context hushContext() {
        return Context.builder().simulatedDevice("LVS-Hush", HUSH).build();
    }

    /** Scans and returns the device at {@code address}, its identification writes taken. */
    static Device scanFor(Client client, String address) {
        await(client.startScanning());
        Device device = await(client.awaitDevice(d -> d.address().equals(address)));
        await(client.takeWrites(address));
        return device;
    }

    /** Collects a simulated toy's writes until {@code done} holds (bounded). */
    static List<Client.Write> writesUntil(Client client, String address,
                                          Predicate<List<Client.Write>> done) {
        List<Client.Write> all = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (System.nanoTime() < end) {
            all.addAll(await(client.takeWrites(address)));
            if (done.test(all)) {
                return all;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("the toy did not receive what was expected; it got " + all);
        return all;
    }

    /** The first write's bytes in hex. */
    static String firstHex(Client client, String address) {
        return HexFormat.of().formatHex(writesUntil(client, address, w -> !w.isEmpty()).get(0).data());
    }

    /** Takes events until one of {@code type} (bounded). */
    static <E extends Event> E nextOf(Client client, Class<E> type) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (System.nanoTime() < end) {
            Event e = client.nextEvent(java.time.Duration.ofMillis(200));
            if (type.isInstance(e)) {
                return assertInstanceOf(type, e);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " event");
    }
}
