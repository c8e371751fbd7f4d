package io.haptix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading: the ABI check, and the artifact jar ({@code target/haptix-<version>.jar}, made before
 * the tests) in a fresh JVM away from the repository, with its bundled library.
 */
class LoadTest {
    @TempDir
    Path temp;

    /** The artifact jar and its one runtime dependency, protobuf-java. */
    private static List<Path> jars() {
        String jar = System.getProperty("haptix.jar");
        assertTrue(jar != null, "the haptix.jar system property (set by the pom) is missing");
        return List.of(Path.of(jar), FreshJvm.codeSource(com.google.protobuf.Message.class));
    }

    @Test
    void libraryImplementsThisBindingsAbi() {
        Haptix.load();
        assertEquals(Native.ABI_VERSION, Haptix.abiVersion());
        assertTrue(Haptix.version().matches("\\d+\\.\\d+\\.\\d+.*"), Haptix.version());
        assertEquals("linux-x86_64", NativeLoader.platform());
        assertTrue(NativeLoader.loadedFrom().contains("haptix-"), NativeLoader.loadedFrom());
    }

    @Test
    void theArtifactJarCarriesTheLibrary() throws Exception {
        try (JarFile jar = new JarFile(jars().get(0).toFile())) {
            var entry = jar.getEntry("natives/linux-x86_64/libhaptix.so");
            assertTrue(entry != null, "no natives/linux-x86_64/libhaptix.so in " + jar.getName());
            assertTrue(entry.getSize() > 1_000_000, "suspiciously small library: " + entry.getSize());
            assertTrue(jar.getEntry("io/haptix/Client.class") != null);
            assertTrue(jar.getEntry("haptix/v1/EventOuterClass.class") != null, "no generated protobuf classes");
        }
    }

    @Test
    void theJarLoadsItsBundledLibraryInAFreshJvm() throws Exception {
        FreshJvm jvm = new FreshJvm(temp, jars());
        FreshJvm.Run run = jvm.run(List.of(), Map.of());
        assertEquals(0, run.exit(), run.output());
        assertEquals(Integer.toString(Native.ABI_VERSION), run.value("abi"));
        assertEquals("Vibrate:10;", run.value("toy received"));
        // Extracted to a private folder of the JVM's temporary folder, and only that file mapped.
        Path from = Path.of(run.value("loaded from"));
        assertTrue(from.startsWith(run.tmpdir()) && from.getFileName().toString().equals("libhaptix.so"),
            run.output());
        List<String> mapped = run.values("mapped");
        assertFalse(mapped.isEmpty(), run.output());
        for (String m : mapped) {
            assertTrue(m.startsWith(from.toString()), "a library mapped from elsewhere: " + m + "\n" + run.output());
        }
        assertEquals("rwx------", run.value("folder permissions"));
        // deleted when the JVM ended
        assertEquals(List.of(), jvm.leftInTmp());
    }

    @Test
    void anUnknownPlatformIsNamedInTheError() throws Exception {
        FreshJvm.Run run = new FreshJvm(temp, jars()).run(List.of("-Dos.arch=sparc"), Map.of());
        assertNotEquals(0, run.exit());
        assertTrue(run.output().contains("no native library for platform linux-sparc"), run.output());
        assertTrue(run.output().contains(NativeLoader.PROPERTY), run.output());
    }

    @Test
    void theOverridesNameALibraryBuiltElsewhere() throws Exception {
        Haptix.load();
        Path elsewhere = temp.resolve("built-elsewhere");
        Files.createDirectories(elsewhere);
        Path library = Files.copy(Path.of(NativeLoader.loadedFrom()), elsewhere.resolve("libhaptix.so"));
        Path jvmFolder = temp.resolve("jvm");
        Files.createDirectories(jvmFolder);
        FreshJvm jvm = new FreshJvm(jvmFolder, jars());

        FreshJvm.Run property = jvm.run(List.of("-D" + NativeLoader.PROPERTY + "=" + library), Map.of());
        assertEquals(0, property.exit(), property.output());
        assertEquals(library.toString(), property.value("loaded from"));
        assertTrue(property.values("mapped").stream().allMatch(m -> m.startsWith(library.toString())),
            property.output());

        FreshJvm.Run environment = jvm.run(List.of(), Map.of(NativeLoader.ENVIRONMENT, library.toString()));
        assertEquals(0, environment.exit(), environment.output());
        assertEquals(library.toString(), environment.value("loaded from"));

        // The property wins over the variable; a missing file is named in the error.
        Path missing = temp.resolve("missing.so");
        FreshJvm.Run bad = jvm.run(List.of("-D" + NativeLoader.PROPERTY + "=" + missing),
            Map.of(NativeLoader.ENVIRONMENT, library.toString()));
        assertNotEquals(0, bad.exit());
        assertTrue(bad.output().contains(missing.toString()), bad.output());
    }
}
