/**
 * Kotlin layer over the Java API of Haptix: `suspend` versions of every call, `Flow`s of events
 * and input readings, and `use {}`-friendly types.
 *
 * Cancelling a coroutine suspended in a call cancels the request's future: the binding forgets
 * the request and drops its response when it comes (a command the server already applied is
 * not undone). Flows are cold: collecting registers a listener (or a subscription), and
 * cancelling the collector removes it.
 */
package io.haptix.kotlin

import haptix.v1.EventOuterClass
import haptix.v1.RequestOuterClass
import io.haptix.Bus
import io.haptix.Client
import io.haptix.Context
import io.haptix.Device
import io.haptix.Event
import io.haptix.EventListener
import io.haptix.Feature
import io.haptix.InputType
import io.haptix.LogLevel
import io.haptix.OutputType
import io.haptix.Server
import java.net.URI
import java.time.Duration
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.future.await

/**
 * Builds a [Context]; close it with `use {}`.
 *
 * ```
 * haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context -> ... }
 * ```
 */
fun haptixContext(configure: ContextScope.() -> Unit = {}): Context {
    val scope = ContextScope()
    scope.configure()
    return scope.builder.build()
}

/** The options of [haptixContext]: the same as [Context.Builder]. */
class ContextScope internal constructor() {
    internal val builder: Context.Builder = Context.builder()

    /** Adds a simulated device ([Context.Builder.simulatedDevice]). */
    fun simulatedDevice(identifier: String, address: String? = null) {
        builder.simulatedDevice(identifier, address)
    }

    /** Sets the buses to scan ([Context.Builder.buses]). */
    fun buses(vararg buses: Bus) {
        builder.buses(*buses)
    }

    /** Sets the log level ([Context.Builder.logLevel]). */
    fun logLevel(level: LogLevel) {
        builder.logLevel(level)
    }

    /** Uses a device configuration instead of the built-in database. */
    fun deviceConfig(json: ByteArray) {
        builder.deviceConfig(json)
    }
}

/**
 * A client with suspending calls. Wraps a Java [Client] ([java]); closing either closes both.
 * Thread-safe, like the Java client.
 */
class HaptixClient(val java: Client) : AutoCloseable {
    companion object {
        /** Connects to the context's embedded server ([Client.connectEmbedded]). */
        fun connectEmbedded(context: Context, name: String = "Haptix Kotlin client",
                            requestTimeout: Duration? = null): HaptixClient =
            HaptixClient(Client.connectEmbedded(context, name, requestTimeout))

        /** Connects to a remote server with a context of its own ([Client.connect]). */
        fun connect(url: URI): HaptixClient = HaptixClient(Client.connect(url))

        /** Connects to a remote server through [context] ([Client.connect]). */
        fun connect(context: Context, url: URI): HaptixClient = HaptixClient(Client.connect(context, url))
    }

    /** Suspends until connected; throws [io.haptix.HaptixException] when that failed. */
    suspend fun connected(): Event.Connected = java.connected().await()

    /** Every event from now on, in order (buffered without limit). */
    fun events(): Flow<Event> = callbackFlow {
        val listener = EventListener { trySend(it) }
        java.addListener(listener)
        awaitClose { java.removeListener(listener) }
    }.buffer(Channel.UNLIMITED)

    /** Every input reading from now on (of every subscription of this client). */
    fun inputReadings(): Flow<Event.InputReading> = events().filterIsInstance()

    /** The devices known now, by index. */
    val devices: Map<Int, HaptixDevice> get() = java.devices().mapValues { HaptixDevice(it.value) }

    /** Suspends until a device matching [match] is known. */
    suspend fun awaitDevice(match: (Device) -> Boolean = { true }): HaptixDevice =
        HaptixDevice(java.awaitDevice { match(it) }.await())

    /** [Client.startScanning]. */
    suspend fun startScanning() { java.startScanning().await() }

    /** [Client.stopScanning]. */
    suspend fun stopScanning() { java.stopScanning().await() }

    /** [Client.requestDeviceList]. */
    suspend fun requestDeviceList(): List<HaptixDevice> = java.requestDeviceList().await().map(::HaptixDevice)

    /** [Client.stopAll]. */
    suspend fun stopAll() { java.stopAll().await() }

    /** [Client.ping]. */
    suspend fun ping() { java.ping().await() }

    /** [Client.disconnect]. */
    suspend fun disconnect() { java.disconnect().await() }

    /** [Client.addSimulatedDevice]. */
    suspend fun addSimulatedDevice(identifier: String, address: String? = null): String =
        java.addSimulatedDevice(identifier, address).await()

    /** [Client.removeSimulatedDevice]. */
    suspend fun removeSimulatedDevice(address: String) { java.removeSimulatedDevice(address).await() }

    /** [Client.takeWrites]: what a simulated toy received. */
    suspend fun takeWrites(address: String): List<Client.Write> = java.takeWrites(address).await()

    /** [Client.injectNotification]: makes a simulated toy send [data] on [endpoint]. */
    suspend fun injectNotification(address: String, endpoint: String, data: ByteArray) {
        java.injectNotification(address, endpoint, data).await()
    }

    /** [Client.send]: any request (its id is set by the binding); returns its response. */
    suspend fun send(request: RequestOuterClass.Request.Builder): EventOuterClass.Response =
        java.send(request).await()

    /** Closes the client ([Client.close]); idempotent. */
    override fun close() = java.close()
}

/** A device with suspending commands; levels are fractions 0..1 of the feature's range. */
class HaptixDevice(val java: Device) {
    /** The server's index. */
    val index: Int get() = java.index()

    /** The database name. */
    val name: String get() = java.name()

    /** The hardware address (embedded server only). */
    val address: String get() = java.address()

    /** The user's display name, possibly empty. */
    val displayName: String get() = java.displayName()

    /** Its features with their outputs and inputs. */
    val features: List<Feature> get() = java.features()

    /** Whether it is still connected. */
    val connected: Boolean get() = java.connected()

    /** [Device.vibrate] on every vibrator, or on [feature]. */
    suspend fun vibrate(level: Double, feature: Int? = null) { java.output(OutputType.VIBRATE, level, feature).await() }

    /** [Device.rotate]. */
    suspend fun rotate(level: Double, feature: Int? = null) { java.output(OutputType.ROTATE, level, feature).await() }

    /** [Device.oscillate]. */
    suspend fun oscillate(level: Double, feature: Int? = null) { java.output(OutputType.OSCILLATE, level, feature).await() }

    /** [Device.position]. */
    suspend fun position(position: Double, durationMs: Int) { java.position(position, durationMs).await() }

    /** [Device.output]. */
    suspend fun output(type: OutputType, level: Double, feature: Int? = null) { java.output(type, level, feature).await() }

    /** [Device.outputSteps]. */
    suspend fun outputSteps(type: OutputType, steps: Int, feature: Int? = null) {
        java.outputSteps(type, steps, feature).await()
    }

    /** [Device.stop]. */
    suspend fun stop() { java.stop().await() }

    /** [Device.battery]: 0..1. */
    suspend fun battery(): Double = java.battery().await()

    /** [Device.rssi]: dBm. */
    suspend fun rssi(): Int = java.rssi().await()

    /** [Device.read]: the raw value. */
    suspend fun read(type: InputType, feature: Int? = null): Long = java.read(type, feature).await()

    /**
     * Subscribes to an input while collected: the subscription is made when collection starts
     * (a refusal is thrown into the collector) and undone when the collector is cancelled.
     */
    fun subscribe(type: InputType, feature: Int? = null): Flow<Event.InputReading> = callbackFlow {
        val subscription = java.subscribe(type, feature) { trySend(it) }.await()
        awaitClose { subscription.close() }
    }.buffer(Channel.UNLIMITED)

    override fun equals(other: Any?): Boolean = other is HaptixDevice && other.java == java

    override fun hashCode(): Int = java.hashCode()

    override fun toString(): String = java.toString()
}

/** Starts a WebSocket server on [context] ([Server.start]); close it with `use {}`. */
fun Context.startServer(listenAddress: String = "127.0.0.1:0"): Server = Server.start(this, listenAddress)
