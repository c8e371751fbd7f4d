package io.haptix;

import java.util.List;

/**
 * One feature of a device: the outputs and inputs it offers.
 *
 * @param index the feature index (what {@code feature} arguments take)
 * @param description the configuration's description, possibly empty
 * @param outputs the outputs it offers
 * @param inputs the inputs it offers
 */
public record Feature(int index, String description, List<Output> outputs, List<Input> inputs) {
    /**
     * An inclusive range of values.
     *
     * @param min lowest value
     * @param max highest value
     */
    public record Range(int min, int max) {}

    /**
     * An output of a feature.
     *
     * @param type what it does (null for a type this binding does not know)
     * @param value the steps it accepts
     * @param duration the durations it accepts in ms, or null when it takes none
     */
    public record Output(OutputType type, Range value, Range duration) {}

    /**
     * An input of a feature.
     *
     * @param type what it reads (null for a type this binding does not know)
     * @param value the ranges of its values
     * @param readable whether it can be read once
     * @param subscribable whether it can be subscribed to
     */
    public record Input(InputType type, List<Range> value, boolean readable, boolean subscribable) {}

    /**
     * @param type an output type
     * @return this feature's output of that type, or null
     */
    public Output output(OutputType type) {
        return outputs.stream().filter(o -> o.type() == type).findFirst().orElse(null);
    }

    /**
     * @param type an input type
     * @return this feature's input of that type, or null
     */
    public Input input(InputType type) {
        return inputs.stream().filter(i -> i.type() == type).findFirst().orElse(null);
    }
}
