package io.haptix.probe;

import io.haptix.Client;
import io.haptix.Context;
import io.haptix.Device;
import io.haptix.Haptix;
import io.haptix.NativeLoader;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Runs in a fresh JVM whose class path holds only copies of the artifact jars and this class
 * (see {@code FreshJvm}): loads the library the way an application would, checks its ABI,
 * drives a simulated toy (or runs the main class named in {@code args[0]}), and reports what was
 * really loaded: every mapping of the library in {@code /proc/self/maps} and the permissions of
 * the folder it was extracted to. Prints {@code key: value} lines for the test to check.
 */
public final class JarProbe {
    private JarProbe() {}

    /**
     * @param args optionally the name of a main class to run instead of the built-in commands
     * @throws Exception on any failure (the test sees a non-zero exit and the output)
     */
    public static void main(String[] args) throws Exception {
        Haptix.load(); // the ABI check: throws on a mismatch
        System.out.println("abi: " + Haptix.abiVersion());
        System.out.println("version: " + Haptix.version());
        System.out.println("loaded from: " + NativeLoader.loadedFrom());
        if (args.length > 0) {
            Method main = Class.forName(args[0]).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } else {
            try (Context context = Context.builder().simulatedDevice("LVS-Hush", "probe-hush").build();
                 Client client = Client.connectEmbedded(context)) {
                client.startScanning().join();
                Device hush = client.awaitDevice().join();
                client.takeWrites("probe-hush").join();
                hush.vibrate(0.5).join();
                for (int i = 0; i < 200; i++) {
                    List<Client.Write> writes = client.takeWrites("probe-hush").join();
                    if (!writes.isEmpty()) {
                        System.out.println("toy received: " + writes.get(0).text());
                        break;
                    }
                    Thread.sleep(10);
                }
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.contains("haptix")) {
                System.out.println("mapped: " + line.substring(slash));
            }
        }
        Path folder = Path.of(NativeLoader.loadedFrom()).toAbsolutePath().getParent();
        try {
            System.out.println("folder permissions: "
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
        } catch (IOException | UnsupportedOperationException e) {
            System.out.println("folder permissions: unknown (" + e + ")");
        }
    }
}
