package io.haptix.examples;

import io.haptix.Client;
import io.haptix.Context;
import io.haptix.Device;
import io.haptix.Feature;
import io.haptix.Haptix;
import io.haptix.NativeLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The Haptix demo from Java: an embedded server with a simulated Lovense Hush, a client that
 * scans for it and plays a short pattern, and what the toy received after each command. Needs
 * no hardware. Run it with {@code scripts/demo-java.sh}.
 */
public final class Demo {
    private static final String TOY = "LVS-Hush";
    private static final String ADDRESS = "demo-hush";

    private Demo() {}

    private static String received(List<Client.Write> writes) {
        if (writes.isEmpty()) {
            return "the toy received nothing (unchanged)";
        }
        return "the toy received " + writes.stream().map(Object::toString).collect(Collectors.joining(", "));
    }

    /** The write happens just after the command's response: collects for up to half a second. */
    private static void show(Client client, String what) throws InterruptedException {
        List<Client.Write> writes = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (writes.isEmpty() && System.nanoTime() < end) {
            writes.addAll(client.takeWrites(ADDRESS).join());
            if (writes.isEmpty()) {
                Thread.sleep(5);
            }
        }
        System.out.printf("  %-22s -> %s%n", what, received(writes));
    }

    /**
     * Runs the demo.
     *
     * @param args ignored
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Haptix.load();
        System.out.println("Haptix demo from Java: " + NativeLoader.loadedFrom().replaceAll(".*/", "")
            + " " + Haptix.version() + ", ABI " + Haptix.abiVersion() + " (JNI natives in the library).");
        System.out.println("An embedded server with a simulated toy (" + TOY + "), driven by a Java client.");
        try (Context context = Context.builder().simulatedDevice(TOY, ADDRESS).build();
             Client client = Client.connectEmbedded(context, "haptix Java demo", null)) {
            var connected = client.connected().get(10, TimeUnit.SECONDS);
            System.out.println("connected to '" + connected.serverName() + "' (message spec v"
                + connected.specVersion() + ")");
            client.startScanning().join();
            Device device = client.awaitDevice().get(10, TimeUnit.SECONDS);
            client.stopScanning().join();
            System.out.println("found device " + device.index() + ": " + device.name());
            for (Feature f : device.features()) {
                List<String> parts = new ArrayList<>();
                f.outputs().forEach(o -> parts.add(o.type().name().toLowerCase() + " 0-" + o.value().max()));
                f.inputs().forEach(i -> parts.add(i.type().name().toLowerCase() + " input"));
                System.out.println("  feature " + f.index() + ": " + String.join(", ", parts));
            }
            List<Client.Write> handshake = client.takeWrites(ADDRESS).join();
            if (!handshake.isEmpty()) {
                System.out.printf("  %-22s -> %s%n", "(identification)", received(handshake));
            }
            for (double level : new double[] {0.25, 0.5, 1.0, 0.5}) {
                device.vibrate(level).join();
                show(client, String.format("vibrate %d%%", Math.round(level * 100)));
            }
            double battery = device.battery().join();
            show(client, String.format("battery read: %d%%", Math.round(battery * 100)));
            device.stop().join();
            show(client, "stop");
            client.disconnect().join();
            System.out.println("disconnected; shutting down");
        }
        System.out.println("done.");
    }
}
