// In package io.haptix to read the Java client's package-private pending count.
package io.haptix

import io.haptix.kotlin.HaptixClient
import io.haptix.kotlin.haptixContext
import io.haptix.kotlin.startServer
import java.util.concurrent.TimeUnit
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

/** The Kotlin layer: suspend calls, flows, cancellation, use {}. Every wait is bounded. */
class KotlinTest {
    private val limit = TimeUnit.SECONDS.toMillis(20)

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

    @Test
    fun suspendCallsDriveTheToy() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            HaptixClient.connectEmbedded(context, "kotlin").use { client ->
                withTimeout(limit) {
                    assertEquals("Haptix", client.connected().serverName)
                    client.startScanning()
                    val hush = client.awaitDevice { it.address() == "hush-1" }
                    assertEquals("Lovense Hush", hush.name)
                    client.takeWrites("hush-1")
                    hush.vibrate(0.5)
                    assertEquals("Vibrate:10;", client.writesUntil("hush-1", 1)[0].text())
                    assertEquals(0.85, hush.battery(), 1e-9)
                    assertEquals(listOf(hush), client.requestDeviceList())
                    val e = assertThrows<HaptixException> { runBlocking { hush.vibrate(Double.NaN) } }
                    assertEquals(Status.ERROR_OUT_OF_RANGE, e.status())
                    client.stopAll()
                    client.ping()
                }
            }
        }
    }

    @Test
    fun eventsFlowAndCancellationForgetsTheRequest() = runBlocking {
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

                    // A waiting call cancelled: its future is cancelled and the request forgotten.
                    val waiting = launch(start = CoroutineStart.UNDISPATCHED) {
                        client.awaitDevice { false }
                    }
                    waiting.cancelAndJoin()
                    val device = client.devices.values.first()
                    val reads = (1..50).map {
                        launch(start = CoroutineStart.UNDISPATCHED) { device.battery() }
                    }
                    reads.forEach { it.cancelAndJoin() }
                    assertEquals(0, client.java.pendingRequests())
                    client.ping()
                }
            }
        }
    }

    @Test
    fun subscriptionFlowReportsTheLibrarysRefusal() = runBlocking {
        haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
            HaptixClient.connectEmbedded(context).use { client ->
                withTimeout(limit) {
                    client.startScanning()
                    val hush = client.awaitDevice()
                    val e = assertThrows<HaptixException> {
                        runBlocking { hush.subscribe(InputType.BATTERY).take(1).toList() }
                    }
                    assertEquals(Status.ERROR_NOT_SUPPORTED, e.status())

                    // No simulated protocol offers subscriptions: feed the pump's dispatch a
                    // reading and see it come out of the readings flow.
                    val reading = async(start = CoroutineStart.UNDISPATCHED) { client.inputReadings().first() }
                    repeat(3) { yield() }
                    client.java.core.dispatch(
                        haptix.v1.EventOuterClass.Event.newBuilder().setInputReading(
                            haptix.v1.EventOuterClass.InputReading.newBuilder().setDeviceIndex(hush.index)
                                .setFeatureIndex(1).setInputTypeValue(InputType.PRESSURE.number()).setValue(7)
                        ).build().toByteArray()
                    )
                    assertEquals(Event.InputReading(hush.index, 1, InputType.PRESSURE, 7), reading.await())
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
}
