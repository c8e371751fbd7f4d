package io.haptix;

import static io.haptix.Fixtures.HUSH;
import static io.haptix.Fixtures.await;
import static io.haptix.Fixtures.failure;
import static io.haptix.Fixtures.firstHex;
import static io.haptix.Fixtures.nextOf;
import static io.haptix.Fixtures.scanFor;
import static io.haptix.Fixtures.writesUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import haptix.v1.DeviceOuterClass;
import haptix.v1.EventOuterClass;
import haptix.v1.RequestOuterClass;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The embedded server end to end: connect, scan, exact bytes on simulated toys, inputs, errors. */
class ClientTest {
    private Context context;
    private Client client;

    @BeforeEach
    void open() {
        context = Context.builder()
            .simulatedDevice("LVS-Hush", HUSH)
            .simulatedDevice("THE COWGIRL", "cowgirl")
            .simulatedDevice("TF-META2", "meta")
            .simulatedDevice("BT05", "fleshy")
            .build();
        client = Client.connectEmbedded(context, "junit", null);
    }

    @AfterEach
    void close() {
        client.close();
        context.close();
    }

    @Test
    void connectsToTheEmbeddedServer() {
        Event.Connected connected = await(client.connected());
        assertEquals("Haptix", connected.serverName());
        assertEquals(4, connected.specVersion());
        assertTrue(client.isConnected());
        await(client.ping());
        assertEquals(connected, nextOf(client, Event.Connected.class));
    }

    @Test
    void scanFindsTheSimulatedHushWithTypedFeatures() {
        Device hush = scanFor(client, HUSH);
        assertEquals("Lovense Hush", hush.name());
        assertEquals(HUSH, hush.address());
        assertTrue(hush.connected());
        assertEquals(hush, client.devices().get(hush.index()));
        List<Feature> vibrators = hush.featuresWithOutput(OutputType.VIBRATE);
        assertEquals(1, vibrators.size());
        assertEquals(new Feature.Range(0, 20), vibrators.get(0).output(OutputType.VIBRATE).value());
        assertNull(vibrators.get(0).output(OutputType.VIBRATE).duration());
        Feature.Input battery = hush.featuresWithInput(InputType.BATTERY).get(0).input(InputType.BATTERY);
        assertTrue(battery.readable());
        assertFalse(battery.subscribable());
        assertFalse(hush.hasOutput(OutputType.ROTATE));
        assertTrue(await(client.requestDeviceList()).contains(hush));
        Event.DeviceAdded added = nextOf(client, Event.DeviceAdded.class);
        assertNotNull(added.device());
    }

    @Test
    void everyOutputTypeWritesItsExactBytes() {
        Device hush = scanFor(client, HUSH);
        Device cowgirl = scanFor(client, "cowgirl");
        Device meta = scanFor(client, "meta");
        Device fleshy = scanFor(client, "fleshy");

        await(hush.vibrate(0.5));
        assertEquals(List.of(new Client.Write("tx", "Vibrate:10;".getBytes(), false)),
            writesUntil(client, HUSH, w -> !w.isEmpty()));
        await(hush.outputSteps(OutputType.VIBRATE, 7, 0));
        assertEquals("Vibrate:7;", writesUntil(client, HUSH, w -> !w.isEmpty()).get(0).text());
        await(hush.vibrate(1.0, 0));
        assertEquals("Vibrate:20;", writesUntil(client, HUSH, w -> !w.isEmpty()).get(0).text());
        await(hush.stop());
        assertEquals("Vibrate:0;", writesUntil(client, HUSH, w -> !w.isEmpty()).get(0).text());

        await(cowgirl.vibrate(0.5));
        assertEquals("00018000", firstHex(client, "cowgirl"));
        await(cowgirl.rotate(0.5));
        assertEquals("00018080", firstHex(client, "cowgirl"));

        await(meta.oscillate(0.5));
        // TryFun frames start with a counter of the frames sent (0 for the first).
        assertEquals("0002000521050b329d", firstHex(client, "meta"));
        await(meta.rotate(-0.5));
        // The second frame (counter 1): -0.5 of -100..100 is sent as speed 50 (0x32), the way
        // the protocol's unit test has it for -50.
        assertEquals("0102000521050e329a", firstHex(client, "meta"));

        await(fleshy.position(0.5, 500));
        assertEquals("5a01f4", firstHex(client, "fleshy"));

        await(hush.vibrate(0.25));
        assertEquals("Vibrate:5;", writesUntil(client, HUSH, w -> !w.isEmpty()).get(0).text());
        await(client.stopAll());
        assertTrue(writesUntil(client, HUSH, w -> !w.isEmpty()).stream()
            .anyMatch(w -> w.text().equals("Vibrate:0;")));
    }

    @Test
    void theOtherOutputTypesWriteTheirExactBytes() {
        await(client.addSimulatedDevice("UMVxB1", "vero"));       // Umove Vero: position
        await(client.addSimulatedDevice("J-Melody", "melody"));   // JoyHub Melody: constrict, temperature
        await(client.addSimulatedDevice("J-Rainbow", "rainbow")); // JoyHub Rainbow: LED
        await(client.addSimulatedDevice("J-Dodge", "dodge"));     // JoyHub Dodge: spray
        Device vero = scanFor(client, "vero");
        Device melody = scanFor(client, "melody");
        Device rainbow = scanFor(client, "rainbow");
        Device dodge = scanFor(client, "dodge");

        // Position 0.5 of 0..732 is step 366 (0x016e), without a duration.
        await(vero.output(OutputType.POSITION, 0.5, null));
        assertEquals("5aa5550000000100000000006e010000", firstHex(client, "vero"));
        // Suction (feature 5) 5 of 0..9; the heater (feature 6) on.
        await(melody.outputSteps(OutputType.CONSTRICT, 5, null));
        assertEquals("a00d000005ff", firstHex(client, "melody"));
        await(melody.output(OutputType.TEMPERATURE, 1.0, null));
        assertEquals("a0040100" + "01ff", firstHex(client, "melody"));
        await(rainbow.output(OutputType.LED, 1.0, null));
        assertEquals("a0140100" + "01ff", firstHex(client, "rainbow"));
        await(dodge.output(OutputType.SPRAY, 1.0, null));
        assertEquals("a0240100" + "01ff", firstHex(client, "dodge"));
    }

    @Test
    void batteryIsRead() {
        Device hush = scanFor(client, HUSH);
        assertEquals(0.85, await(hush.battery()), 1e-9);
        assertEquals(85L, await(hush.read(InputType.BATTERY, null)));
        assertTrue(writesUntil(client, HUSH, w -> !w.isEmpty()).stream()
            .anyMatch(w -> w.text().equals("Battery;")));
        HaptixException e = failure(hush.rssi());
        assertEquals(Status.ERROR_NOT_SUPPORTED, e.status());
        assertTrue(e.libraryMessage().contains("Rssi"), e.getMessage());
    }

    /** A KGoal Boost pressure notification: normalised {@code value}, raw 256. */
    private static byte[] pressure(int value) {
        return new byte[] {0, 1, 4, (byte) (value >> 8), (byte) value, 1, 0};
    }

    @Test
    void anInputSubscriptionDeliversReadings() throws Exception {
        await(client.addSimulatedDevice("Boost", "boost-1"));
        Device boost = scanFor(client, "boost-1");
        Feature.Input input = boost.featuresWithInput(InputType.PRESSURE).get(0).input(InputType.PRESSURE);
        assertTrue(input.subscribable(), input.toString());
        java.util.concurrent.BlockingQueue<Event.InputReading> readings =
            new java.util.concurrent.LinkedBlockingQueue<>();
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        Subscription s = await(boost.subscribe(InputType.PRESSURE, 0, r -> {
            threads.add(Thread.currentThread().getName());
            readings.add(r);
        }));
        assertTrue(s.isOpen());
        // The toy sends a notification, as hardware would: the reading reaches the consumer...
        await(client.injectNotification("boost-1", "rxpressure", pressure(42)));
        Event.InputReading r = readings.poll(Fixtures.WAIT_S, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(new Event.InputReading(boost.index(), 0, InputType.PRESSURE, 42), r);
        assertTrue(threads.get(0).startsWith("haptix-events"), threads.toString());
        // ...and the event stream.
        assertEquals(42, nextOf(client, Event.InputReading.class).value());

        await(s.unsubscribe());
        assertFalse(s.isOpen());
        s.close(); // idempotent
        await(client.injectNotification("boost-1", "rxpressure", pressure(43)));
        await(client.ping());
        assertNull(readings.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
        assertTrue(client.core.subscriptions.isEmpty());
    }

    @Test
    void aReadOnlyInputRefusesASubscription() {
        Device hush = scanFor(client, HUSH);
        // The Hush's battery can be read, not subscribed to: the library refuses, and the
        // registration is undone.
        HaptixException e = failure(hush.subscribe(InputType.BATTERY, null, r -> { }));
        assertEquals(Status.ERROR_NOT_SUPPORTED, e.status());
        assertFalse(e.libraryMessage().isEmpty());
        assertTrue(client.core.subscriptions.isEmpty());
    }

    @Test
    void badInputGivesTheLibrarysMessageAndNothingReachesTheToy() {
        Device hush = scanFor(client, HUSH);
        HaptixException nan = failure(hush.vibrate(Double.NaN));
        assertEquals(Status.ERROR_OUT_OF_RANGE, nan.status());
        assertTrue(nan.libraryMessage().contains("NaN"), nan.getMessage());
        HaptixException high = failure(hush.vibrate(1.5));
        assertEquals(Status.ERROR_OUT_OF_RANGE, high.status());
        HaptixException steps = failure(hush.outputSteps(OutputType.VIBRATE, 21, null));
        assertEquals(Status.ERROR_OUT_OF_RANGE, steps.status());
        HaptixException feature = failure(hush.vibrate(0.5, 9));
        assertEquals(Status.ERROR_FEATURE_NOT_FOUND, feature.status());
        assertTrue(feature.libraryMessage().contains("9"), feature.getMessage());
        HaptixException unsupported = failure(hush.rotate(0.5));
        assertEquals(Status.ERROR_NOT_SUPPORTED, unsupported.status());
        // A request after the failures proves they were all handled, and the toy saw nothing.
        await(client.ping());
        assertEquals(List.of(), await(client.takeWrites(HUSH)));

        // A device of a closed client: the library refuses the stale client handle.
        client.close();
        HaptixException closed = failure(hush.vibrate(0.5));
        assertEquals(Status.ERROR_INVALID_HANDLE, closed.status());
        assertTrue(closed.libraryMessage().contains("client"), closed.getMessage());
        try (Client observer = Client.connectEmbedded(context)) {
            assertTrue(await(observer.takeWrites(HUSH)).stream().noneMatch(w -> w.text().equals("Vibrate:10;")));
        }
    }

    @Test
    void aRemovedDeviceRefusesCommands() {
        Device hush = scanFor(client, HUSH);
        assertEquals("hush-2", await(client.addSimulatedDevice("LVS-Hush", "hush-2")));
        Device second = scanFor(client, "hush-2");
        await(client.removeSimulatedDevice("hush-2"));
        Event.DeviceRemoved removed = nextOf(client, Event.DeviceRemoved.class);
        assertEquals(second.index(), removed.deviceIndex());
        assertFalse(second.connected());
        assertTrue(hush.connected());
        HaptixException e = failure(second.vibrate(0.5));
        assertEquals(Status.ERROR_DEVICE_NOT_FOUND, e.status());
        assertTrue(e.libraryMessage().contains(Integer.toString(second.index())), e.getMessage());
    }

    @Test
    void synchronousCallReturnsTheResponse() {
        Device hush = scanFor(client, HUSH);
        EventOuterClass.Response r = client.call(RequestOuterClass.Request.newBuilder().setInput(
            RequestOuterClass.Input.newBuilder().setDeviceIndex(hush.index())
                .setInputType(DeviceOuterClass.InputType.INPUT_TYPE_BATTERY)
                .setCommand(DeviceOuterClass.InputCommand.INPUT_COMMAND_READ)), Duration.ofSeconds(10));
        assertEquals(85, r.getReading().getValue());
        HaptixException e = Fixtures.thrown(() -> client.call(RequestOuterClass.Request.newBuilder()
            .setOutput(RequestOuterClass.Output.newBuilder().setDeviceIndex(77)
                .setOutputType(DeviceOuterClass.OutputType.OUTPUT_TYPE_VIBRATE).setLevel(0.5)),
            Duration.ofSeconds(10)));
        assertEquals(Status.ERROR_DEVICE_NOT_FOUND, e.status());
        HaptixException empty = Fixtures.thrown(() ->
            client.call(RequestOuterClass.Request.newBuilder(), Duration.ofSeconds(10)));
        assertEquals(Status.ERROR_INVALID_ARGUMENT, empty.status());
    }

    @Test
    void disconnectEndsTheStream() {
        scanFor(client, HUSH);
        await(client.disconnect());
        Event.Disconnected d = nextOf(client, Event.Disconnected.class);
        assertNotNull(d.reason());
        assertFalse(client.isConnected());
        HaptixException e = failure(client.ping());
        assertTrue(e.status() == Status.CLOSED || e.status() == Status.ERROR_NOT_CONNECTED, e.getMessage());
        HaptixException end = Fixtures.thrown(() -> {
            while (true) {
                client.nextEvent(Duration.ofMillis(200));
            }
        });
        assertEquals(Status.CLOSED, end.status());
    }
}
