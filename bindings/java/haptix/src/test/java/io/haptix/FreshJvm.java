package io.haptix;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.haptix.probe.JarProbe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs {@link JarProbe} in a fresh JVM away from the repository: the artifact jars and their
 * dependencies are copied into a new folder, which is the JVM's working directory and holds its
 * whole class path (file names only); the JVM's temporary folder is a subfolder of it; the
 * environment has no {@code HAPTIX_LIBRARY}, {@code LD_LIBRARY_PATH}, {@code CLASSPATH} or
 * {@code JAVA_TOOL_OPTIONS}, and {@code java.library.path} is an empty folder. So the only
 * native library the JVM can find is the one inside the jar (or the one an override names).
 */
public final class FreshJvm {
    /** What the probe printed and how it ended. */
    public record Run(int exit, String output, Path tmpdir) {
        /** @return the values of the probe's {@code key: value} lines named {@code key} */
        public List<String> values(String key) {
            List<String> values = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith(key + ": ")) {
                    values.add(line.substring(key.length() + 2).trim());
                }
            }
            return values;
        }

        /** @return the single value of {@code key} (fails when there is none) */
        public String value(String key) {
            List<String> v = values(key);
            assertTrue(!v.isEmpty(), "no '" + key + "' line in:\n" + output);
            return v.get(0);
        }
    }

    private final Path folder;
    private final List<String> classPath = new ArrayList<>();

    /**
     * Copies {@code jars} (each a jar file) and the probe class into {@code folder}.
     *
     * @param folder an empty folder outside the repository
     * @param jars the class path of the application: artifact jars and dependencies
     * @throws IOException when a copy fails
     */
    public FreshJvm(Path folder, List<Path> jars) throws IOException {
        this.folder = folder;
        Map<String, Path> names = new LinkedHashMap<>();
        for (Path jar : jars) {
            assertTrue(Files.isRegularFile(jar) && jar.toString().endsWith(".jar"),
                "not a jar file (build through Maven's package phase): " + jar);
            names.put(jar.getFileName().toString(), jar);
        }
        for (var e : names.entrySet()) {
            Files.copy(e.getValue(), folder.resolve(e.getKey()));
            classPath.add(e.getKey());
        }
        Path probe = folder.resolve("probe").resolve(JarProbe.class.getName().replace('.', '/') + ".class");
        Files.createDirectories(probe.getParent());
        try (InputStream in = JarProbe.class.getResourceAsStream(JarProbe.class.getSimpleName() + ".class")) {
            Files.copy(in, probe);
        }
        classPath.add("probe");
        Files.createDirectories(folder.resolve("tmp"));
        Files.createDirectories(folder.resolve("no-libraries"));
    }

    /** @return the jar (or folder) that holds {@code type} on this JVM's class path */
    public static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the probe.
     *
     * @param jvmOptions extra JVM options (e.g. {@code -Dos.arch=sparc})
     * @param environment extra environment variables
     * @param args the probe's arguments
     * @return its exit status and output
     * @throws Exception when it cannot run or takes longer than a minute
     */
    public Run run(List<String> jvmOptions, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + folder.resolve("tmp"));
        command.add("-Djava.library.path=" + folder.resolve("no-libraries"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classPath));
        command.add(JarProbe.class.getName());
        Collections.addAll(command, args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true);
        for (String name : List.of(NativeLoader.ENVIRONMENT, "LD_LIBRARY_PATH", "LD_PRELOAD", "CLASSPATH",
                                   "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
            pb.environment().remove(name);
        }
        pb.environment().putAll(environment);
        Path output = folder.resolve("output.txt");
        pb.redirectOutput(output.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the fresh JVM did not end within a minute:\n"
                + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8), folder.resolve("tmp"));
    }

    /** @return what is left in the fresh JVM's temporary folder */
    public List<Path> leftInTmp() throws IOException {
        try (Stream<Path> files = Files.list(folder.resolve("tmp"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("haptix-")).toList();
        }
    }
}
