package io.haptix.bench;

import haptix.v1.DeviceOuterClass;
import haptix.v1.RequestOuterClass;
import io.haptix.Client;
import io.haptix.Context;
import io.haptix.Device;
import io.haptix.Haptix;
import io.haptix.NativeLoader;
import io.haptix.OutputType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Java API's throughput and latency on the scenario of {@code benches/compare}: a simulated
 * Lovense Hush, one vibrate command at a time with the speed alternating between two step
 * values. Prints call→response p50/p99, sequential commands per second (each waits for its
 * response), and commands per second with 1,024 in flight (issued back to back, then all
 * awaited), for the future path and for the synchronous {@code Client.call} path. A plain main
 * with a warm-up, not a test; run by {@code scripts/bench-java.sh}. Arguments: {@code --quick}.
 */
public final class Bench {
    private Bench() {}

    private static String us(long nanos) {
        return String.format("%.1f µs", nanos / 1000.0);
    }

    private static String rate(double perSecond) {
        return perSecond >= 1000 ? String.format("%.1fk cmd/s", perSecond / 1000) : String.format("%.0f cmd/s", perSecond);
    }

    private static long percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --quick} for a short run
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int warmup = quick ? 30_000 : 100_000;
        int samples = quick ? 20_000 : 200_000;
        int depth = 1024;
        int rounds = quick ? 20 : 200;

        Haptix.load();
        System.out.println("java: library " + NativeLoader.loadedFrom() + " " + Haptix.version()
            + "; " + Runtime.getRuntime().availableProcessors() + " CPUs; java "
            + System.getProperty("java.version") + "; load average " + loadAverage());
        try (Context context = Context.builder().simulatedDevice("LVS-Hush", "bench-hush").build();
             Client client = Client.connectEmbedded(context, "java bench", null)) {
            client.startScanning().get(10, TimeUnit.SECONDS);
            Device hush = client.awaitDevice().get(10, TimeUnit.SECONDS);
            client.stopScanning().join();

            // Warm-up (JIT, caches), both paths.
            for (int i = 0; i < warmup; i++) {
                hush.outputSteps(OutputType.VIBRATE, 5 + (i & 1), null).join();
            }

            // Futures: call -> response latency, and sequential throughput over the same loop.
            long[] latency = new long[samples];
            long start = System.nanoTime();
            for (int i = 0; i < samples; i++) {
                long t0 = System.nanoTime();
                hush.outputSteps(OutputType.VIBRATE, 5 + (i & 1), null).join();
                latency[i] = System.nanoTime() - t0;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(latency);
            System.out.printf("java futures: call→response p50 %s p99 %s, sequential %s (%d commands)%n",
                us(percentile(latency, 0.50)), us(percentile(latency, 0.99)), rate(samples / seconds), samples);

            // Synchronous path (haptix_client_call on the calling thread).
            RequestOuterClass.Request.Builder[] requests = new RequestOuterClass.Request.Builder[2];
            for (int k = 0; k < 2; k++) {
                requests[k] = RequestOuterClass.Request.newBuilder().setOutput(
                    RequestOuterClass.Output.newBuilder().setDeviceIndex(hush.index())
                        .setOutputType(DeviceOuterClass.OutputType.OUTPUT_TYPE_VIBRATE).setSteps(5 + k));
            }
            for (int i = 0; i < warmup; i++) {
                client.call(requests[i & 1], Duration.ofSeconds(10));
            }
            long[] syncLatency = new long[samples];
            start = System.nanoTime();
            for (int i = 0; i < samples; i++) {
                long t0 = System.nanoTime();
                client.call(requests[i & 1], Duration.ofSeconds(10));
                syncLatency[i] = System.nanoTime() - t0;
            }
            seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(syncLatency);
            System.out.printf("java call():  call→response p50 %s p99 %s, sequential %s (%d commands)%n",
                us(percentile(syncLatency, 0.50)), us(percentile(syncLatency, 0.99)), rate(samples / seconds), samples);

            // 1,024 in flight.
            for (int r = 0; r < 3; r++) {
                round(hush, depth);
            }
            start = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                round(hush, depth);
            }
            seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("java futures: %d in flight: %s (%d rounds)%n", depth,
                rate((double) depth * rounds / seconds), rounds);
        }
    }

    private static String loadAverage() {
        try {
            String[] parts = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void round(Device hush, int depth) {
        List<CompletableFuture<Void>> futures = new ArrayList<>(depth);
        for (int i = 0; i < depth; i++) {
            futures.add(hush.outputSteps(OutputType.VIBRATE, 5 + (i & 1), null));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    }
}
