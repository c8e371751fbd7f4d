package io.haptix;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;

/**
 * A native handle (a C ABI registry key) with the lock that keeps its {@code _free} from racing
 * other calls on it, as the C ABI requires: calls take the read lock, freeing the write lock.
 * After freeing, calls still pass the stale key, which the library refuses with
 * {@link Status#ERROR_INVALID_HANDLE} and its own message.
 */
final class Handle {
    final long key;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean freed;

    Handle(long key) {
        this.key = key;
    }

    boolean freed() {
        return freed;
    }

    /** Runs a native call on the key under the read lock. */
    <T> T call(LongFunction<T> body) {
        lock.readLock().lock();
        try {
            return body.apply(key);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the key once, after every running call returned. */
    void free(java.util.function.LongConsumer freeFunction) {
        lock.writeLock().lock();
        try {
            if (!freed) {
                freed = true;
                freeFunction.accept(key);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
