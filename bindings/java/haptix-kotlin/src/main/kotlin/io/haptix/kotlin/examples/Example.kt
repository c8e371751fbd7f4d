/** A small Kotlin example: a simulated Lovense Hush vibrates, and the toy's bytes are printed. */
package io.haptix.kotlin.examples

import io.haptix.kotlin.HaptixClient
import io.haptix.kotlin.haptixContext
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking

/** Runs the example (`mvn -q -pl haptix-kotlin exec:java`). */
fun main() = runBlocking {
    haptixContext { simulatedDevice("LVS-Hush", "hush-1") }.use { context ->
        HaptixClient.connectEmbedded(context).use { client ->
            println("connected to ${client.connected().serverName}")
            client.startScanning()
            val hush = client.awaitDevice()
            println("found ${hush.name}, battery ${(hush.battery() * 100).toInt()}%")
            client.takeWrites(hush.address)
            hush.vibrate(0.5)
            hush.stop()
            // Writes reach the toy in the background: collect until both arrived.
            val writes = mutableListOf<io.haptix.Client.Write>()
            repeat(200) {
                if (writes.size < 2) {
                    writes += client.takeWrites(hush.address)
                    delay(10)
                }
            }
            for (write in writes) {
                println("the toy received $write")
            }
        }
    }
}
