using System;

namespace Haptix
{
    /// <summary>A device was added to or removed from a client (<see cref="Client.DeviceAdded"/>, <see cref="Client.DeviceRemoved"/>).</summary>
    public sealed class DeviceEventArgs : EventArgs
    {
        internal DeviceEventArgs(Device device, bool removed)
        {
            Device = device;
            Removed = removed;
        }

        internal bool Removed { get; private set; }

        /// <summary>The device. After removal its <see cref="Haptix.Device.IsConnected"/> is false.</summary>
        public Device Device { get; private set; }
    }

    /// <summary>The client's connection ended, or could not be made (<see cref="Client.Disconnected"/>).</summary>
    public sealed class DisconnectedEventArgs : EventArgs
    {
        internal DisconnectedEventArgs(string reason, Status status)
        {
            Reason = reason;
            Status = status;
        }

        /// <summary>Why, in the library's words.</summary>
        public string Reason { get; private set; }

        /// <summary><see cref="Haptix.Status.Ok"/> after a requested disconnect, else the error.</summary>
        public Status Status { get; private set; }
    }

    /// <summary>A reading of a subscribed input (<see cref="Client.InputReading"/>).</summary>
    public sealed class InputReadingEventArgs : EventArgs
    {
        internal InputReadingEventArgs(Device device, uint deviceIndex, uint featureIndex, InputType inputType, long value)
        {
            Device = device;
            DeviceIndex = deviceIndex;
            FeatureIndex = featureIndex;
            InputType = inputType;
            Value = value;
        }

        /// <summary>The device, or null when it is no longer known to the client.</summary>
        public Device Device { get; private set; }

        /// <summary>The device's index.</summary>
        public uint DeviceIndex { get; private set; }

        /// <summary>The feature the reading comes from.</summary>
        public uint FeatureIndex { get; private set; }

        /// <summary>What was measured.</summary>
        public InputType InputType { get; private set; }

        /// <summary>Battery: percent; RSSI: dBm; button: 0 or 1; pressure: raw units.</summary>
        public long Value { get; private set; }
    }

    /// <summary>An error the server or the library reported outside any request (<see cref="Client.ErrorReceived"/>).</summary>
    public sealed class ErrorEventArgs : EventArgs
    {
        internal ErrorEventArgs(Status status, string message)
        {
            Status = status;
            Message = message;
        }

        /// <summary>The error's status.</summary>
        public Status Status { get; private set; }

        /// <summary>The library's message.</summary>
        public string Message { get; private set; }
    }

    /// <summary>A log record of the library (<see cref="Context.Log"/>).</summary>
    public sealed class LogEventArgs : EventArgs
    {
        internal LogEventArgs(Proto.LogRecord record)
        {
            Level = record.Level;
            Target = record.Target;
            Message = record.Message;
            Timestamp = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(record.TimestampMs);
            DroppedBefore = record.DroppedBefore;
        }

        /// <summary>Severity.</summary>
        public LogLevel Level { get; private set; }

        /// <summary>The module the record comes from, e.g. "haptix::server".</summary>
        public string Target { get; private set; }

        /// <summary>The text.</summary>
        public string Message { get; private set; }

        /// <summary>When it was logged (UTC).</summary>
        public DateTime Timestamp { get; private set; }

        /// <summary>Records dropped before this one because nobody drained the queue.</summary>
        public ulong DroppedBefore { get; private set; }

        /// <summary>"LEVEL target: message".</summary>
        public override string ToString() { return Level + " " + Target + ": " + Message; }
    }

    /// <summary>The scan has finished (<see cref="Client.ScanningFinished"/>).</summary>
    public sealed class ScanningFinishedEventArgs : EventArgs
    {
        internal static readonly ScanningFinishedEventArgs Instance = new ScanningFinishedEventArgs();

        private ScanningFinishedEventArgs() { }
    }
}
