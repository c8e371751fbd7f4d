package io.haptix;

import java.lang.ref.Cleaner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads this binding owns, all daemons. */
final class Threads {
    private Threads() {}

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** Frees native objects whose Java object was collected without being closed. */
    static final Cleaner CLEANER = Cleaner.create(r -> daemon("haptix-cleaner", r));

    /**
     * Completes futures, so that user continuations never run on a pump. Grows as needed (a
     * continuation that blocks does not hold up the next completion); idle threads end.
     */
    static final ExecutorService COMPLETION = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
        30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> daemon("haptix-completion", r));

    static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name + "-" + COUNTER.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    /** Milliseconds for a native timeout: negative means no limit. */
    static int millis(java.time.Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            return -1;
        }
        long ms = timeout.toMillis();
        return ms >= Integer.MAX_VALUE ? -1 : (int) ms;
    }
}
