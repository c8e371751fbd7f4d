// In package io.haptix to read the Java client's package-private state and use the Java
// module's test helpers (StallServer, FreshJvm).
package io.haptix

import io.haptix.kotlin.HaptixClient
import io.haptix.kotlin.haptixContext
import io.haptix.kotlin.startServer
import java.nio.file.Files
import java.nio.file.Path
import java.util.HexFormat
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** The Kotlin layer: suspend calls, flows, cancellation, use {}. Every wait is bounded. */
class KotlinTest {
    private val limit = TimeUnit.SECONDS.toMillis(20)

    @TempDir
    lateinit var temp: Path

    private suspend fun HaptixClient.writesUntil(address: String, count: Int): List<Client.Write> {
        val all = mutableListOf<Client.Write>()
        withTimeout(limit) {
            while (all.size < count) {
                all += takeWrites(address)
                delay(5)
            }
        }
        return all
    }

    private suspend fun HaptixClient.firstHex(address: String): String =
        HexFormat.of().formatHex(writesUntil(address, 1)[0].data())

    private suspend fun HaptixClient.scanFor(address: String): io.haptix.kotlin.HaptixDevice {
        startScanning()
        val device = awaitDevice { it.address() == address }
        takeWrites(address)
        return device
    }

    /** A KGoal Boost pressure notification: normalised [value], raw 256. */
    private fun pressure(value: Int) = byteArrayOf(0, 1, 4, (value shr 8).toByte(), value.toByte(), 1, 0)

    @Test
    fun suspendCallsDriveTheToy() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            HaptixClient.connectEmbedded(context, "kotlin").use { client ->
                withTimeout(limit) {
                    assertEquals("Haptix", client.connected().serverName)
                    val hush = client.scanFor("hush-1")
                    assertEquals("Lovense Hush", hush.name)
                    assertEquals(1, hush.features.count { it.output(OutputType.VIBRATE) != null })
                    hush.vibrate(0.5)
                    assertEquals("Vibrate:10;", client.writesUntil("hush-1", 1)[0].text())
                    assertEquals(0.85, hush.battery(), 1e-9)
                    assertEquals(85L, hush.read(InputType.BATTERY))
                    assertEquals(listOf(hush), client.requestDeviceList())
                    assertTrue(client.writesUntil("hush-1", 2).all { it.text() == "Battery;" })
                    hush.stop()
                    assertEquals("Vibrate:0;", client.writesUntil("hush-1", 1)[0].text())
                    client.stopAll()
                    client.ping()
                    val reply = client.send(haptix.v1.RequestOuterClass.Request.newBuilder()
                        .setPing(haptix.v1.RequestOuterClass.Ping.getDefaultInstance()))
                    assertEquals(Status.OK, reply.status)
                }
            }
        }
    }

    @Test
    fun everyOutputKindFromKotlinWritesItsExactBytes() = runBlocking {
        haptixContext {
            simulatedDevice("THE COWGIRL", "cowgirl")
            simulatedDevice("TF-META2", "meta")
            simulatedDevice("BT05", "fleshy")
            simulatedDevice("UMVxB1", "vero")
            simulatedDevice("J-Melody", "melody")
        }.use { context ->
            HaptixClient.connectEmbedded(context).use { client ->
                withTimeout(limit) {
                    val cowgirl = client.scanFor("cowgirl")
                    val meta = client.scanFor("meta")
                    val fleshy = client.scanFor("fleshy")
                    val vero = client.scanFor("vero")
                    val melody = client.scanFor("melody")
                    cowgirl.vibrate(0.5)
                    assertEquals("00018000", client.firstHex("cowgirl"))
                    cowgirl.rotate(0.5)
                    assertEquals("00018080", client.firstHex("cowgirl"))
                    meta.oscillate(0.5)
                    assertEquals("0002000521050b329d", client.firstHex("meta"))
                    fleshy.position(0.5, 500)
                    assertEquals("5a01f4", client.firstHex("fleshy"))
                    vero.output(OutputType.POSITION, 0.5)
                    assertEquals("5aa5550000000100000000006e010000", client.firstHex("vero"))
                    melody.outputSteps(OutputType.CONSTRICT, 5)
                    assertEquals("a00d000005ff", client.firstHex("melody"))
                }
            }
        }
    }

    @Test
    fun badInputThrowsTheLibrarysError() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            val client = HaptixClient.connectEmbedded(context)
            withTimeout(limit) {
                val hush = client.scanFor("hush-1")
                val nan = assertThrows<HaptixException> { runBlocking { hush.vibrate(Double.NaN) } }
                assertEquals(Status.ERROR_OUT_OF_RANGE, nan.status())
                assertTrue(nan.libraryMessage().contains("NaN"), nan.message)
                val high = assertThrows<HaptixException> { runBlocking { hush.vibrate(1.5) } }
                assertEquals(Status.ERROR_OUT_OF_RANGE, high.status())
                val feature = assertThrows<HaptixException> { runBlocking { hush.vibrate(0.5, 9) } }
                assertEquals(Status.ERROR_FEATURE_NOT_FOUND, feature.status())
                client.ping()
                assertEquals(emptyList<Client.Write>(), client.takeWrites("hush-1"))
                client.close()
                val closed = assertThrows<HaptixException> { runBlocking { hush.vibrate(0.5) } }
                assertEquals(Status.ERROR_INVALID_HANDLE, closed.status())
            }
        }
    }

    @Test
    fun eventsFlowDeliversInOrder() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            HaptixClient.connectEmbedded(context).use { client ->
                withTimeout(limit) {
                    client.connected()
                    val added = async(start = CoroutineStart.UNDISPATCHED) {
                        client.events().filterIsInstance<Event.DeviceAdded>().first()
                    }
                    // Lets the flow's producer run and register its listener (one event loop).
                    repeat(3) { yield() }
                    client.startScanning()
                    assertEquals("hush-1", added.await().device().address())
                }
            }
        }
    }

    @Test
    fun cancellingASuspendedCallCancelsItsRequest() = runBlocking {
        StallServer().use { stall ->
            HaptixClient.connect(stall.url()).use { client ->
                withTimeout(limit) {
                    assertEquals("stalled", client.connected().serverName)
                    var outcome: Throwable? = null
                    val waiting = launch(start = CoroutineStart.UNDISPATCHED) {
                        try {
                            client.ping()
                        } catch (e: CancellationException) {
                            outcome = e
                            throw e
                        }
                    }
                    stall.awaitUnanswered("Ping", 1) // the server holds it: certainly pending
                    assertEquals(1, client.java.pendingRequests())
                    waiting.cancelAndJoin()
                    assertTrue(waiting.isCancelled)
                    assertTrue(outcome is CancellationException, outcome.toString())
                    // The request's future was cancelled: the binding forgot it.
                    assertEquals(0, client.java.pendingRequests())

                    // A device wait cancelled the same way.
                    val device = launch(start = CoroutineStart.UNDISPATCHED) { client.awaitDevice { false } }
                    device.cancelAndJoin()
                    assertTrue(device.isCancelled)
                }
            }
        }
    }

    @Test
    fun closingTheClientFailsSuspendedCalls() = runBlocking {
        StallServer().use { stall ->
            val client = HaptixClient.connect(stall.url())
            withTimeout(limit) {
                client.connected()
                val pending = (1..3).map { async(start = CoroutineStart.UNDISPATCHED) { runCatching { client.ping() } } }
                stall.awaitUnanswered("Ping", 3)
                client.close()
                client.close()
                for (p in pending) {
                    val e = p.await().exceptionOrNull()
                    // cancelled by the binding, or failed by the library as its connection closed
                    assertTrue(e is HaptixException &&
                        (e.status() == Status.ERROR_CANCELLED || e.status() == Status.ERROR_NOT_CONNECTED),
                        e.toString())
                }
            }
        }
    }

    @Test
    fun aSubscriptionFlowDeliversReadingsAndReportsRefusals() = runBlocking {
        haptixContext {
            simulatedDevice("LVS-Hush", "hush-1")
            simulatedDevice("Boost", "boost-1")
        }.use { context ->
            HaptixClient.connectEmbedded(context).use { client ->
                withTimeout(limit) {
                    val hush = client.scanFor("hush-1")
                    val e = assertThrows<HaptixException> {
                        runBlocking { hush.subscribe(InputType.BATTERY).take(1).toList() }
                    }
                    assertEquals(Status.ERROR_NOT_SUPPORTED, e.status())

                    val boost = client.scanFor("boost-1")
                    val readings = async(start = CoroutineStart.UNDISPATCHED) {
                        boost.subscribe(InputType.PRESSURE, 0).take(2).toList()
                    }
                    val stream = async(start = CoroutineStart.UNDISPATCHED) { client.inputReadings().first() }
                    // Wait until the subscription is in place before the toy sends anything.
                    while (client.java.core.subscriptions.isEmpty()) {
                        delay(5)
                    }
                    client.ping()
                    client.injectNotification("boost-1", "rxpressure", pressure(7))
                    client.injectNotification("boost-1", "rxpressure", pressure(9))
                    assertEquals(listOf(7L, 9L), readings.await().map { it.value() })
                    assertEquals(Event.InputReading(boost.index, 0, InputType.PRESSURE, 7), stream.await())
                    // Collection ended: the subscription was closed.
                    while (client.java.core.subscriptions.isNotEmpty()) {
                        delay(5)
                    }
                }
            }
        }
    }

    @Test
    fun remoteClientAndServerWithUse() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            context.startServer().use { server ->
                HaptixClient.connect(server.url()).use { remote ->
                    withTimeout(limit) {
                        remote.connected()
                        remote.startScanning()
                        val hush = remote.awaitDevice()
                        hush.vibrate(0.25)
                        val ended = async(start = CoroutineStart.UNDISPATCHED) {
                            remote.events().filterIsInstance<Event.Disconnected>().first()
                        }
                        repeat(3) { yield() }
                        server.stop(java.time.Duration.ofSeconds(5))
                        ended.await()
                        assertFalse(hush.connected)
                    }
                }
            }
            assertTrue(context.openChildren() == 0)
        }
    }

    @Test
    fun theKotlinJarRunsInAFreshJvm() {
        val kotlinJar = Path.of(System.getProperty("haptix.kotlin.jar") ?: error("no haptix.kotlin.jar property"))
        val jars = listOf(
            kotlinJar,
            FreshJvm.codeSource(Client::class.java),
            FreshJvm.codeSource(com.google.protobuf.Message::class.java),
            FreshJvm.codeSource(Unit::class.java),
            FreshJvm.codeSource(kotlinx.coroutines.CoroutineScope::class.java),
        )
        val jvm = FreshJvm(temp, jars)
        val run = jvm.run(emptyList(), emptyMap(), "io.haptix.kotlin.examples.ExampleKt")
        assertEquals(0, run.exit(), run.output())
        assertEquals(Native.ABI_VERSION.toString(), run.value("abi"))
        assertTrue(run.output().contains("found Lovense Hush, battery 85%"), run.output())
        assertTrue(run.output().contains("the toy received \"Vibrate:10;\" on tx"), run.output())
        val from = Path.of(run.value("loaded from"))
        assertTrue(from.startsWith(run.tmpdir()), run.output())
        assertTrue(run.values("mapped").isNotEmpty() && run.values("mapped").all { it.startsWith(from.toString()) },
            run.output())
        assertEquals(emptyList<Path>(), jvm.leftInTmp())
        assertTrue(Files.isRegularFile(kotlinJar))
    }
}
