package io.haptix;

import haptix.v1.DeviceOuterClass;
import haptix.v1.RequestOuterClass;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An input subscription: readings of one input of one device go to its consumer, on the
 * client's event thread, until {@link #close()} (which also asks the device to stop sending).
 */
public final class Subscription implements AutoCloseable {
    private final ClientCore core;
    private final int deviceIndex;
    private final Integer feature;
    private final InputType type;
    private final Consumer<Event.InputReading> consumer;
    private volatile boolean open = true;

    Subscription(ClientCore core, int deviceIndex, Integer feature, InputType type,
                 Consumer<Event.InputReading> consumer) {
        this.core = core;
        this.deviceIndex = deviceIndex;
        this.feature = feature;
        this.type = type;
        this.consumer = consumer;
    }

    /** Passes a reading to the consumer when it is this subscription's. */
    void offer(Event.InputReading reading) {
        if (open && reading.deviceIndex() == deviceIndex && reading.inputType() == type
            && (feature == null || feature == reading.featureIndex())) {
            consumer.accept(reading);
        }
    }

    /** @return whether readings are still delivered */
    public boolean isOpen() {
        return open;
    }

    /**
     * Stops delivery at once and asks the device to unsubscribe.
     *
     * @return completes when the device confirmed
     */
    public CompletableFuture<Void> unsubscribe() {
        if (!open) {
            return CompletableFuture.completedFuture(null);
        }
        open = false;
        core.subscriptions.remove(this);
        var input = RequestOuterClass.Input.newBuilder().setDeviceIndex(deviceIndex)
            .setInputTypeValue(type.number())
            .setCommand(DeviceOuterClass.InputCommand.INPUT_COMMAND_UNSUBSCRIBE);
        if (feature != null) {
            input.setFeatureIndex(feature);
        }
        return core.send(RequestOuterClass.Request.newBuilder().setInput(input), r -> null);
    }

    /** Same as {@link #unsubscribe()} without waiting. Idempotent. */
    @Override
    public void close() {
        unsubscribe();
    }
}
