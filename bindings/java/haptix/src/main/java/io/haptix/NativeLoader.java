package io.haptix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds and loads the native library, once per class loader.
 *
 * <p>Order: the system property {@code haptix.library.path}, then the environment variable
 * {@code HAPTIX_LIBRARY} (each the path of a library file built elsewhere), then the copy
 * carried in the jar under {@code natives/<platform>/<file>}, extracted to a private temporary
 * directory (deleted when the JVM exits) and loaded with {@link System#load}. On Android the
 * library comes from the APK ({@code jniLibs/<abi>/libhaptix.so}) through
 * {@link System#loadLibrary}. Platforms: {@code linux-x86_64}, {@code linux-aarch64}
 * ({@code libhaptix.so}), {@code macos-x86_64}, {@code macos-aarch64} ({@code libhaptix.dylib}),
 * {@code windows-x86_64}, {@code windows-aarch64} ({@code haptix.dll}).
 */
public final class NativeLoader {
    /** System property naming a library file to load instead of the bundled one. */
    public static final String PROPERTY = "haptix.library.path";
    /** Environment variable naming a library file to load instead of the bundled one. */
    public static final String ENVIRONMENT = "HAPTIX_LIBRARY";

    private static volatile String loadedFrom;

    private NativeLoader() {}

    /** @return where the library was loaded from (a file or {@code "android"}), or null */
    public static String loadedFrom() {
        return loadedFrom;
    }

    /** @return this machine's platform name as used under {@code natives/} */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux"
            : os.contains("mac") || os.contains("darwin") ? "macos"
            : os.contains("windows") ? "windows" : os.replace(' ', '_');
        String archName = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return osName + "-" + archName;
    }

    /** @return the library's file name on this platform */
    static String fileName() {
        String p = platform();
        if (p.startsWith("windows")) {
            return "haptix.dll";
        }
        return p.startsWith("macos") ? "libhaptix.dylib" : "libhaptix.so";
    }

    /**
     * Loads the library if this class loader has not yet.
     *
     * @throws UnsatisfiedLinkError when no library is found for this platform (the message names
     *     the platform) or it cannot be loaded
     */
    static synchronized void load() {
        if (loadedFrom != null) {
            return;
        }
        String override = System.getProperty(PROPERTY);
        if (override == null || override.isEmpty()) {
            override = System.getenv(ENVIRONMENT);
        }
        if (override != null && !override.isEmpty()) {
            System.load(Path.of(override).toAbsolutePath().toString());
            loadedFrom = override;
            return;
        }
        if (System.getProperty("java.vm.vendor", "").toLowerCase(Locale.ROOT).contains("android")) {
            System.loadLibrary("haptix");
            loadedFrom = "android";
            return;
        }
        String resource = "natives/" + platform() + "/" + fileName();
        try (InputStream in = NativeLoader.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("haptix: no native library for platform " + platform()
                    + " in this jar (looked for " + resource + "); set -D" + PROPERTY
                    + " or " + ENVIRONMENT + " to a library file built for it");
            }
            Path dir = Files.createTempDirectory("haptix-");
            Path file = dir.resolve(fileName());
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            dir.toFile().deleteOnExit();
            file.toFile().deleteOnExit();
            System.load(file.toString());
            loadedFrom = file.toString();
        } catch (IOException e) {
            UnsatisfiedLinkError error =
                new UnsatisfiedLinkError("haptix: cannot extract " + resource + ": " + e.getMessage());
            error.initCause(e);
            throw error;
        }
    }
}
