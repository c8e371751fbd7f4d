package io.haptix;

import haptix.v1.EventOuterClass;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The future of one request sent with {@code haptix_client_send}.
 *
 * <p>The thread that takes its response from the library (the pump, or a thread waiting for
 * another request) never completes it (completing runs the future's dependents, which are user
 * code). It hands the response over instead: to a thread blocked in {@link #join()} or
 * {@link #get()} on this future, which then completes it itself (the caller's own thread, saving
 * a thread switch), or else to the completion executor. A thread that starts waiting first takes
 * the events waiting in the library itself ({@link ClientCore#helpTake}), so a response that is
 * already there reaches it without any thread switch. Cancelling it forgets the request: its
 * response, when it comes, is dropped.
 */
final class PendingRequest<T> extends java.util.concurrent.CompletableFuture<T> {
    /** Marks {@link #waiter} once the outcome was handed over. */
    private static final Object HANDED_OVER = new Object();
    /** Longest single park of a waiting thread (it re-checks the future after each). */
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ClientCore core;
    final long id;
    private final Function<EventOuterClass.Response, T> mapper;
    /** null, the one thread waiting in join/get, or {@link #HANDED_OVER}. */
    private final AtomicReference<Object> waiter = new AtomicReference<>();
    private volatile EventOuterClass.Response response;
    private volatile Throwable failure;

    PendingRequest(ClientCore core, long id, Function<EventOuterClass.Response, T> mapper) {
        this.core = core;
        this.id = id;
        this.mapper = mapper;
    }

    /** Called by the pump with the response; never completes the future on the pump's thread. */
    void handOver(EventOuterClass.Response r) {
        response = r;
        handOver();
    }

    /** Called when the request can no longer get a response (stream ended, client closed). */
    void handOver(Throwable why) {
        failure = why;
        handOver();
    }

    private void handOver() {
        Object w = waiter.getAndSet(HANDED_OVER);
        if (w instanceof Thread t) {
            if (t != Thread.currentThread()) {
                LockSupport.unpark(t); // the waiting thread completes the future
            }
        } else if (w == null) {
            Threads.COMPLETION.execute(this::finish);
        }
    }

    /** @return whether the outcome was handed over (completed or not yet) */
    boolean arrived() {
        return response != null || failure != null;
    }

    /** Completes the future from what was handed over; runs on a caller's or a completion thread. */
    private void finish() {
        Throwable why = failure;
        EventOuterClass.Response r = response;
        if (why != null) {
            completeExceptionally(why);
        } else if (r.getStatus() != Status.OK) {
            completeExceptionally(new HaptixException(r.getStatus(), r.getMessage()));
        } else {
            try {
                complete(mapper.apply(r));
            } catch (RuntimeException e) {
                completeExceptionally(e);
            }
        }
    }

    /**
     * Waits for the hand-over on this thread when no other thread does, up to {@code nanos}
     * (negative = no limit), and completes the future here if it was handed to this thread.
     */
    private void waitHere(long nanos) {
        if (isDone()) {
            return;
        }
        Thread me = Thread.currentThread();
        if (!waiter.compareAndSet(null, me)) {
            if (waiter.get() == HANDED_OVER && arrived()) {
                // Handed to the completion executor before this thread came to wait: complete
                // it here rather than wait for that thread (completing twice is harmless).
                finish();
            }
            return; // else another thread waits: it completes the future
        }
        core.helpTake(this); // the response may already wait in the library's queue
        long deadline = System.nanoTime() + nanos;
        boolean interrupted = false;
        while (!arrived() && !isDone()) {
            long park = PARK_NANOS;
            if (nanos >= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                park = Math.min(park, left);
            }
            LockSupport.parkNanos(this, park);
            if (Thread.interrupted()) {
                interrupted = true;
                break;
            }
        }
        if (!waiter.compareAndSet(me, null)) {
            finish(); // handed over to this thread: complete it here
        }
        if (interrupted) {
            me.interrupt();
        }
    }

    @Override
    public T join() {
        waitHere(-1);
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        waitHere(-1);
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        waitHere(unit.toNanos(timeout));
        return super.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Cancels the future and forgets the request (its response will be dropped). */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        core.forget(this);
        return super.cancel(mayInterruptIfRunning);
    }
}
