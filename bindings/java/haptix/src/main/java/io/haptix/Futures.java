package io.haptix;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/** Future plumbing of the binding. */
final class Futures {
    private Futures() {}

    /**
     * Maps a future's value; unlike {@code thenApply}, cancelling the result cancels the source
     * (which forgets its request), and a failure keeps its {@link HaptixException} as the cause.
     */
    static <T, R> CompletableFuture<R> map(CompletableFuture<T> source, Function<T, R> fn) {
        CompletableFuture<R> out = new CompletableFuture<>();
        source.whenComplete((value, error) -> {
            if (error != null) {
                out.completeExceptionally(unwrap(error));
                return;
            }
            try {
                out.complete(fn.apply(value));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        out.whenComplete((value, error) -> {
            if (error instanceof CancellationException) {
                source.cancel(false);
            }
        });
        return out;
    }

    /** The cause inside a {@link CompletionException}. */
    static Throwable unwrap(Throwable error) {
        while (error instanceof CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
