package io.haptix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading: the ABI check, and the jar's bundled library in a fresh JVM away from the repository. */
class LoadTest {
    @TempDir
    static Path temp;

    private static boolean packed;

    @Test
    void libraryImplementsThisBindingsAbi() {
        Haptix.load();
        assertEquals(Native.ABI_VERSION, Haptix.abiVersion());
        assertTrue(Haptix.version().matches("\\d+\\.\\d+\\.\\d+.*"), Haptix.version());
        assertEquals("linux-x86_64", NativeLoader.platform());
        assertTrue(NativeLoader.loadedFrom().contains("haptix-"), NativeLoader.loadedFrom());
    }

    /** Packs target/classes (which carries natives/) into a jar in a temporary folder. */
    private static synchronized void jar() throws IOException {
        if (packed) {
            return;
        }
        packed = true;
        Path classes = Path.of(NativeLoader.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Path jar = temp.resolve("haptix.jar");
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jarOut = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                jarOut.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, jarOut);
                jarOut.closeEntry();
            }
        }
        Path protobuf = Path.of(com.google.protobuf.Message.class.getProtectionDomain()
            .getCodeSource().getLocation().getPath());
        Files.copy(protobuf, temp.resolve("protobuf.jar"));
    }

    private record Run(int exit, String output) {}

    private Run java(List<String> args, boolean withOverride) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add("haptix.jar:protobuf.jar");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile()).redirectErrorStream(true);
        pb.environment().remove(NativeLoader.ENVIRONMENT);
        pb.environment().remove("LD_LIBRARY_PATH");
        if (withOverride) {
            pb.environment().put(NativeLoader.ENVIRONMENT, temp.resolve("missing.so").toString());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void theJarLoadsItsBundledLibraryInAFreshJvm() throws Exception {
        jar();
        Run run = java(List.of("io.haptix.Haptix"), false);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("abi " + Native.ABI_VERSION), run.output());
        assertTrue(run.output().contains("connected to Haptix"), run.output());
        String from = run.output().substring(run.output().indexOf("loaded from ") + 12);
        String repo = Path.of("").toAbsolutePath().getParent().getParent().getParent().toString();
        assertFalse(from.startsWith(repo), from);
        assertTrue(from.contains("haptix-"), from);
    }

    @Test
    void anUnknownPlatformIsNamedInTheError() throws Exception {
        jar();
        Run run = java(List.of("-Dos.arch=sparc", "io.haptix.Haptix"), false);
        assertNotEquals(0, run.exit());
        assertTrue(run.output().contains("no native library for platform linux-sparc"), run.output());
    }

    @Test
    void theOverrideIsUsedWhenSet() throws Exception {
        jar();
        Run env = java(List.of("io.haptix.Haptix"), true);
        assertNotEquals(0, env.exit());
        assertTrue(env.output().contains("missing.so"), env.output());
        Run prop = java(List.of("-D" + NativeLoader.PROPERTY + "=" + temp.resolve("other.so"),
            "io.haptix.Haptix"), false);
        assertNotEquals(0, prop.exit());
        assertTrue(prop.output().contains("other.so"), prop.output());
    }
}
