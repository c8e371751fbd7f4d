using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Haptix.Proto;

namespace Haptix
{
    /// <summary>
    /// A device connected to a <see cref="Client"/>, with its typed features. Its methods send
    /// requests on the client: the <c>...Async</c> ones return tasks completed when the client
    /// takes their response (usually during the send, for outputs to the embedded server), the
    /// synchronous ones wait through haptix_client_call (any thread, handlers included). Values
    /// are passed to the library unchecked, so a bad value (NaN, a level outside 0..1, a feature the
    /// device lacks) fails with the library's status and message and nothing reaches the toy.
    /// </summary>
    public sealed class Device
    {
        private readonly Client client;
        private volatile bool removed;

        internal Device(Client client, Proto.Device info)
        {
            this.client = client;
            Index = info.Index;
            Name = info.Name;
            DisplayName = info.DisplayName;
            Address = info.Address;
            MessageTimingGapMs = info.MessageTimingGapMs;
            var features = new List<DeviceFeature>();
            foreach (var f in info.Features) features.Add(new DeviceFeature(this, f));
            Features = features;
        }

        /// <summary>The client the device belongs to.</summary>
        public Client Client { get { return client; } }

        /// <summary>The device's index on its client (stable while connected).</summary>
        public uint Index { get; private set; }

        /// <summary>The device's name from the database, e.g. "Lovense Hush".</summary>
        public string Name { get; private set; }

        /// <summary>The user configuration's display name, or "" when none is set.</summary>
        public string DisplayName { get; private set; }

        /// <summary><see cref="DisplayName"/> when set, else <see cref="Name"/>.</summary>
        public string Label { get { return string.IsNullOrEmpty(DisplayName) ? Name : DisplayName; } }

        /// <summary>The hardware address (embedded server only; "" for a remote server).</summary>
        public string Address { get; private set; }

        /// <summary>The shortest useful time between two commands, in ms.</summary>
        public uint MessageTimingGapMs { get; private set; }

        /// <summary>The device's features, in index order.</summary>
        public IReadOnlyList<DeviceFeature> Features { get; private set; }

        /// <summary>False once the device disconnected or its client was disposed.</summary>
        public bool IsConnected
        {
            get
            {
                if (!removed) client.Refresh();
                return !removed && !client.IsDisposed;
            }
        }

        internal void MarkRemoved() { removed = true; }

        /// <summary>True when a feature has this output.</summary>
        public bool HasOutput(OutputType type)
        {
            foreach (var f in Features) if (f.HasOutput(type)) return true;
            return false;
        }

        /// <summary>True when a feature has this input.</summary>
        public bool HasInput(InputType type)
        {
            foreach (var f in Features) if (f.HasInput(type)) return true;
            return false;
        }

        /// <summary>The features with this output.</summary>
        public IReadOnlyList<DeviceFeature> FeaturesWithOutput(OutputType type)
        {
            var list = new List<DeviceFeature>();
            foreach (var f in Features) if (f.HasOutput(type)) list.Add(f);
            return list;
        }

        internal static Request OutputRequest(uint device, OutputType type, double level, uint? feature, uint durationMs)
        {
            var output = new Output { DeviceIndex = device, FeatureIndex = feature, OutputType = type, Level = level, DurationMs = durationMs };
            return new Request { Output = output };
        }

        internal static Request StepsRequest(uint device, OutputType type, int steps, uint? feature, uint durationMs)
        {
            var output = new Output { DeviceIndex = device, FeatureIndex = feature, OutputType = type, Steps = steps, DurationMs = durationMs };
            return new Request { Output = output };
        }

        /// <summary>
        /// Drives an output: <paramref name="level"/> 0.0 to 1.0 (-1.0 to 1.0 for signed ranges such
        /// as rotation), mapped onto the feature's steps; on one feature, or on every feature with
        /// this output when <paramref name="featureIndex"/> is null. <paramref name="durationMs"/> is
        /// the movement time of <see cref="OutputType.HwPositionWithDuration"/>.
        /// </summary>
        public Task RunOutputAsync(OutputType type, double level, uint? featureIndex = null, uint durationMs = 0,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(OutputRequest(Index, type, level, featureIndex, durationMs), Client.NoResult, cancellationToken);
        }

        /// <summary>Like <see cref="RunOutputAsync"/> but waits until the device accepted (any thread).</summary>
        public void RunOutput(OutputType type, double level, uint? featureIndex = null, uint durationMs = 0)
        {
            client.Call(OutputRequest(Index, type, level, featureIndex, durationMs));
        }

        /// <summary>
        /// Fire and forget, for a game loop: sends the output command without a task and allocates
        /// nothing per call. Throws at once when it cannot be sent; when the device refuses it,
        /// <see cref="Haptix.Client.ErrorReceived"/> follows with the library's message.
        /// </summary>
        public void SendOutput(OutputType type, double level, uint? featureIndex = null, uint durationMs = 0)
        {
            client.SendOutput(Index, type, level, featureIndex, durationMs);
        }

        /// <summary>Fire-and-forget <see cref="VibrateAsync"/> (see <see cref="SendOutput"/>).</summary>
        public void SendVibrate(double level) { client.SendOutput(Index, OutputType.Vibrate, level, null, 0); }

        /// <summary>Drives an output with a raw step value inside the feature's range.</summary>
        public Task RunOutputStepsAsync(OutputType type, int steps, uint? featureIndex = null, uint durationMs = 0,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(StepsRequest(Index, type, steps, featureIndex, durationMs), Client.NoResult, cancellationToken);
        }

        /// <summary>Sets every vibrator to <paramref name="level"/> (0.0 to 1.0).</summary>
        public Task VibrateAsync(double level, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Vibrate, level, null, 0, cancellationToken);
        }

        /// <summary>Sets every vibrator and waits until the device accepted (any thread).</summary>
        public void Vibrate(double level) { RunOutput(OutputType.Vibrate, level); }

        /// <summary>Sets every rotator: <paramref name="speed"/> -1.0 (counter-clockwise) to 1.0.</summary>
        public Task RotateAsync(double speed, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Rotate, speed, null, 0, cancellationToken);
        }

        /// <summary>Sets every rotator and waits until the device accepted (any thread).</summary>
        public void Rotate(double speed) { RunOutput(OutputType.Rotate, speed); }

        /// <summary>Sets every oscillator to <paramref name="level"/> (0.0 to 1.0).</summary>
        public Task OscillateAsync(double level, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Oscillate, level, null, 0, cancellationToken);
        }

        /// <summary>Sets every oscillator and waits until the device accepted (any thread).</summary>
        public void Oscillate(double level) { RunOutput(OutputType.Oscillate, level); }

        /// <summary>
        /// Moves to <paramref name="position"/> (0.0 to 1.0) in <paramref name="durationMs"/>: the
        /// position-with-duration output when the device has one, else the plain position output.
        /// </summary>
        public Task PositionAsync(double position, uint durationMs, CancellationToken cancellationToken = default(CancellationToken))
        {
            var type = HasOutput(OutputType.HwPositionWithDuration) || !HasOutput(OutputType.Position)
                ? OutputType.HwPositionWithDuration : OutputType.Position;
            return RunOutputAsync(type, position, null, type == OutputType.Position ? 0 : durationMs, cancellationToken);
        }

        /// <summary>Like <see cref="PositionAsync"/> but waits until the device accepted (any thread).</summary>
        public void Position(double position, uint durationMs)
        {
            var type = HasOutput(OutputType.HwPositionWithDuration) || !HasOutput(OutputType.Position)
                ? OutputType.HwPositionWithDuration : OutputType.Position;
            RunOutput(type, position, null, type == OutputType.Position ? 0 : durationMs);
        }

        private Request InputRequest(InputType type, InputCommand command, uint? featureIndex)
        {
            return new Request { Input = new Input { DeviceIndex = Index, FeatureIndex = featureIndex, InputType = type, Command = command } };
        }

        private static readonly Func<Response, long> MapReading = r =>
        {
            if (r.Reading == null) throw new HaptixException(Status.ErrorProtocol, "the read was answered without a reading");
            return r.Reading.Value;
        };

        /// <summary>Reads an input once (the first feature with it when <paramref name="featureIndex"/> is null).</summary>
        public Task<long> ReadInputAsync(InputType type, uint? featureIndex = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(InputRequest(type, InputCommand.Read, featureIndex), MapReading, cancellationToken);
        }

        /// <summary>Reads an input once, waiting synchronously (any thread).</summary>
        public long ReadInput(InputType type, uint? featureIndex = null)
        {
            return MapReading(client.Call(InputRequest(type, InputCommand.Read, featureIndex)));
        }

        /// <summary>Reads the battery level: 0.0 to 1.0.</summary>
        public Task<double> BatteryAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(InputRequest(InputType.Battery, InputCommand.Read, null), r => MapReading(r) / 100.0, cancellationToken);
        }

        /// <summary>Reads the battery level (0.0 to 1.0), waiting synchronously (any thread).</summary>
        public double Battery() { return ReadInput(InputType.Battery) / 100.0; }

        /// <summary>Reads the radio signal strength in dBm.</summary>
        public Task<int> RssiAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(InputRequest(InputType.Rssi, InputCommand.Read, null), r => (int)MapReading(r), cancellationToken);
        }

        /// <summary>Reads the radio signal strength in dBm, waiting synchronously (any thread).</summary>
        public int Rssi() { return (int)ReadInput(InputType.Rssi); }

        /// <summary>Subscribes to an input: its readings arrive as <see cref="Client.InputReading"/> events.</summary>
        public Task SubscribeAsync(InputType type, uint? featureIndex = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(InputRequest(type, InputCommand.Subscribe, featureIndex), Client.NoResult, cancellationToken);
        }

        /// <summary>Ends a subscription made with <see cref="SubscribeAsync"/>.</summary>
        public Task UnsubscribeAsync(InputType type, uint? featureIndex = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(InputRequest(type, InputCommand.Unsubscribe, featureIndex), Client.NoResult, cancellationToken);
        }

        private Request StopRequest(bool inputs, bool outputs)
        {
            var stop = new StopDevice { DeviceIndex = Index };
            if (!inputs) stop.Inputs = false;
            if (!outputs) stop.Outputs = false;
            return new Request { StopDevice = stop };
        }

        /// <summary>Stops the device's outputs and input subscriptions (or only one of the two).</summary>
        public Task StopAsync(bool inputs = true, bool outputs = true, CancellationToken cancellationToken = default(CancellationToken))
        {
            return client.SendAsync(StopRequest(inputs, outputs), Client.NoResult, cancellationToken);
        }

        /// <summary>Stops the device and waits until it accepted (any thread).</summary>
        public void Stop(bool inputs = true, bool outputs = true) { client.Call(StopRequest(inputs, outputs)); }

        /// <summary>"index: label".</summary>
        public override string ToString() { return Index + ": " + Label; }
    }

    /// <summary>One feature of a <see cref="Device"/>: its outputs and inputs, and per-feature commands.</summary>
    public sealed class DeviceFeature
    {
        internal DeviceFeature(Device device, Feature info)
        {
            Device = device;
            Index = info.Index;
            Description = info.Description;
            Outputs = info.Outputs;
            Inputs = info.Inputs;
        }

        /// <summary>The device the feature belongs to.</summary>
        public Device Device { get; private set; }

        /// <summary>The feature's index on the device.</summary>
        public uint Index { get; private set; }

        /// <summary>The database's description ("" when none).</summary>
        public string Description { get; private set; }

        /// <summary>The outputs (type, step range, duration range).</summary>
        public IReadOnlyList<FeatureOutput> Outputs { get; private set; }

        /// <summary>The inputs (type, value ranges, allowed commands).</summary>
        public IReadOnlyList<FeatureInput> Inputs { get; private set; }

        /// <summary>True when the feature has this output.</summary>
        public bool HasOutput(OutputType type)
        {
            foreach (var o in Outputs) if (o.OutputType == type) return true;
            return false;
        }

        /// <summary>True when the feature has this input.</summary>
        public bool HasInput(InputType type)
        {
            foreach (var i in Inputs) if (i.InputType == type) return true;
            return false;
        }

        /// <summary>The number of steps of an output (its range's maximum), or 0 when the feature lacks it.</summary>
        public int StepCount(OutputType type)
        {
            foreach (var o in Outputs) if (o.OutputType == type) return o.Value == null ? 0 : o.Value.Max;
            return 0;
        }

        /// <summary>Drives this feature's output (see <see cref="Haptix.Device.RunOutputAsync"/>).</summary>
        public Task RunOutputAsync(OutputType type, double level, uint durationMs = 0, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Device.RunOutputAsync(type, level, Index, durationMs, cancellationToken);
        }

        /// <summary>Drives this feature's output and waits until the device accepted (any thread).</summary>
        public void RunOutput(OutputType type, double level, uint durationMs = 0)
        {
            Device.RunOutput(type, level, Index, durationMs);
        }

        /// <summary>Vibrates this feature.</summary>
        public Task VibrateAsync(double level, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Vibrate, level, 0, cancellationToken);
        }

        /// <summary>Rotates this feature (-1.0 to 1.0).</summary>
        public Task RotateAsync(double speed, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Rotate, speed, 0, cancellationToken);
        }

        /// <summary>Oscillates this feature.</summary>
        public Task OscillateAsync(double level, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(OutputType.Oscillate, level, 0, cancellationToken);
        }

        /// <summary>Moves this feature to a position in a time (position-with-duration output).</summary>
        public Task PositionAsync(double position, uint durationMs, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunOutputAsync(HasOutput(OutputType.HwPositionWithDuration) || !HasOutput(OutputType.Position)
                ? OutputType.HwPositionWithDuration : OutputType.Position, position, durationMs, cancellationToken);
        }

        /// <summary>"index: description".</summary>
        public override string ToString() { return Index + ": " + Description; }
    }
}
