package io.haptix;

import haptix.v1.DeviceOuterClass;
import haptix.v1.RequestOuterClass;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A device of a client's server, with its typed features. Commands return futures that complete
 * (on the binding's completion executor, never its pump) when the server applied them, or
 * exceptionally with {@link HaptixException}: the library's status and message for a bad value
 * (NaN, out of range), a missing feature, a device that went away or a closed client. Levels
 * are fractions from 0 to 1 of the feature's range. Thread-safe.
 */
public final class Device {
    private final ClientCore core;
    private final int index;
    private final String name;
    private final String displayName;
    private final String address;
    private final int messageTimingGapMs;
    private final List<Feature> features;
    volatile boolean connected = true;

    Device(ClientCore core, int index, String name, String displayName, String address,
           int messageTimingGapMs, List<Feature> features) {
        this.core = core;
        this.index = index;
        this.name = name;
        this.displayName = displayName;
        this.address = address;
        this.messageTimingGapMs = messageTimingGapMs;
        this.features = features;
    }

    /** @return the server's index of this device */
    public int index() {
        return index;
    }

    /** @return the device's name from the database */
    public String name() {
        return name;
    }

    /** @return the user's display name, possibly empty */
    public String displayName() {
        return displayName;
    }

    /** @return the hardware address (embedded server only; empty for a remote one) */
    public String address() {
        return address;
    }

    /** @return the smallest gap between two commands, in milliseconds */
    public int messageTimingGapMs() {
        return messageTimingGapMs;
    }

    /** @return its features, by index */
    public List<Feature> features() {
        return features;
    }

    /** @return false once the device was removed or its client disconnected */
    public boolean connected() {
        return connected;
    }

    /**
     * @param type an output type
     * @return the features offering it
     */
    public List<Feature> featuresWithOutput(OutputType type) {
        return features.stream().filter(f -> f.output(type) != null).toList();
    }

    /**
     * @param type an input type
     * @return the features offering it
     */
    public List<Feature> featuresWithInput(InputType type) {
        return features.stream().filter(f -> f.input(type) != null).toList();
    }

    /**
     * @param type an output type
     * @return whether some feature offers it
     */
    public boolean hasOutput(OutputType type) {
        return !featuresWithOutput(type).isEmpty();
    }

    /**
     * Vibrates every vibrating feature.
     *
     * @param level 0 to 1
     * @return completes when applied
     */
    public CompletableFuture<Void> vibrate(double level) {
        return output(OutputType.VIBRATE, level, null);
    }

    /**
     * Vibrates one feature.
     *
     * @param level 0 to 1
     * @param feature the feature index
     * @return completes when applied
     */
    public CompletableFuture<Void> vibrate(double level, int feature) {
        return output(OutputType.VIBRATE, level, feature);
    }

    /**
     * Rotates every rotating feature (negative levels turn the other way where supported).
     *
     * @param level -1 to 1
     * @return completes when applied
     */
    public CompletableFuture<Void> rotate(double level) {
        return output(OutputType.ROTATE, level, null);
    }

    /**
     * Oscillates every oscillating feature.
     *
     * @param level 0 to 1
     * @return completes when applied
     */
    public CompletableFuture<Void> oscillate(double level) {
        return output(OutputType.OSCILLATE, level, null);
    }

    /**
     * Moves to a position over a duration.
     *
     * @param position 0 to 1
     * @param durationMs how long the move takes
     * @return completes when applied
     */
    public CompletableFuture<Void> position(double position, int durationMs) {
        return send(outputRequest(OutputType.HW_POSITION_WITH_DURATION, null)
            .setLevel(position).setDurationMs(durationMs));
    }

    /**
     * Any output at a level.
     *
     * @param type the output type
     * @param level 0 to 1 (-1 to 1 for rotation)
     * @param feature a feature index, or null for every feature with that output
     * @return completes when applied
     */
    public CompletableFuture<Void> output(OutputType type, double level, Integer feature) {
        return send(outputRequest(type, feature).setLevel(level));
    }

    /**
     * Any output in the feature's own steps.
     *
     * @param type the output type
     * @param steps a value in the feature's range
     * @param feature a feature index, or null for every feature with that output
     * @return completes when applied
     */
    public CompletableFuture<Void> outputSteps(OutputType type, int steps, Integer feature) {
        return send(outputRequest(type, feature).setSteps(steps));
    }

    /**
     * Stops every output of this device.
     *
     * @return completes when applied
     */
    public CompletableFuture<Void> stop() {
        return core.send(RequestOuterClass.Request.newBuilder().setStopDevice(
            RequestOuterClass.StopDevice.newBuilder().setDeviceIndex(index)), r -> null);
    }

    /**
     * Reads the battery.
     *
     * @return the level, 0 to 1
     */
    public CompletableFuture<Double> battery() {
        return core.send(readRequest(InputType.BATTERY, null), r -> r.getReading().getValue() / 100.0);
    }

    /**
     * Reads the radio's signal strength.
     *
     * @return RSSI in dBm
     */
    public CompletableFuture<Integer> rssi() {
        return core.send(readRequest(InputType.RSSI, null), r -> (int) r.getReading().getValue());
    }

    /**
     * Reads an input once.
     *
     * @param type the input type
     * @param feature a feature index, or null for the first feature with that input
     * @return the raw value
     */
    public CompletableFuture<Long> read(InputType type, Integer feature) {
        return core.send(readRequest(type, feature), r -> r.getReading().getValue());
    }

    private RequestOuterClass.Request.Builder readRequest(InputType type, Integer feature) {
        return RequestOuterClass.Request.newBuilder().setInput(
            inputRequest(type, feature, DeviceOuterClass.InputCommand.INPUT_COMMAND_READ));
    }

    /**
     * Subscribes to an input; readings go to {@code consumer} on the client's event thread (and
     * are {@link Event.InputReading} events of the stream too).
     *
     * @param type the input type
     * @param feature a feature index, or null for the first feature with that input
     * @param consumer receives the readings
     * @return the subscription once the device accepted it; close it to unsubscribe
     */
    public CompletableFuture<Subscription> subscribe(InputType type, Integer feature,
                                                     Consumer<Event.InputReading> consumer) {
        Subscription subscription = new Subscription(core, index, feature, type, consumer);
        core.subscriptions.add(subscription);
        CompletableFuture<Subscription> result = core.send(RequestOuterClass.Request.newBuilder()
            .setInput(inputRequest(type, feature, DeviceOuterClass.InputCommand.INPUT_COMMAND_SUBSCRIBE)),
            r -> subscription);
        result.whenComplete((s, e) -> {
            if (e != null) {
                core.subscriptions.remove(subscription);
            }
        });
        return result;
    }

    private RequestOuterClass.Output.Builder outputRequest(OutputType type, Integer feature) {
        var output = RequestOuterClass.Output.newBuilder().setDeviceIndex(index)
            .setOutputTypeValue(type.number());
        if (feature != null) {
            output.setFeatureIndex(feature);
        }
        return output;
    }

    private RequestOuterClass.Input.Builder inputRequest(InputType type, Integer feature,
                                                         DeviceOuterClass.InputCommand command) {
        var input = RequestOuterClass.Input.newBuilder().setDeviceIndex(index)
            .setInputTypeValue(type.number()).setCommand(command);
        if (feature != null) {
            input.setFeatureIndex(feature);
        }
        return input;
    }

    private CompletableFuture<Void> send(RequestOuterClass.Output.Builder output) {
        return core.send(RequestOuterClass.Request.newBuilder().setOutput(output), r -> null);
    }

    @Override
    public String toString() {
        return "Device " + index + " (" + name + ")";
    }
}
