using System;

namespace Haptix
{
    /// <summary>
    /// <c>haptix_status</c>: the result of a native call or of a request. 0 is success; values from
    /// 100 up are errors. Values this binding does not know are kept as their number.
    /// </summary>
    public enum Status
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A wait ended without an event.</summary>
        Timeout = 1,
        /// <summary>The event stream ended and nothing is queued (or the client is disconnected).</summary>
        Closed = 2,
        /// <summary>An output buffer was too small.</summary>
        BufferTooSmall = 3,
        /// <summary>A required pointer was NULL.</summary>
        ErrorNullPointer = 100,
        /// <summary>An argument is invalid.</summary>
        ErrorInvalidArgument = 101,
        /// <summary>The handle is not live.</summary>
        ErrorInvalidHandle = 102,
        /// <summary>A string is not valid UTF-8.</summary>
        ErrorInvalidUtf8 = 103,
        /// <summary>Bytes are not a valid protobuf message.</summary>
        ErrorInvalidProtobuf = 104,
        /// <summary>The caller was built for another ABI version.</summary>
        ErrorAbiMismatch = 105,
        /// <summary>A device configuration could not be loaded.</summary>
        ErrorInvalidConfig = 106,
        /// <summary>The handle or its context has been shut down.</summary>
        ErrorShutDown = 200,
        /// <summary>The call would wait for the thread it runs on.</summary>
        ErrorWouldDeadlock = 201,
        /// <summary>The handle's internals panicked earlier.</summary>
        ErrorPoisoned = 202,
        /// <summary>The runtime failed.</summary>
        ErrorRuntime = 203,
        /// <summary>The request was cancelled (client freed, disposed or disconnected first).</summary>
        ErrorCancelled = 204,
        /// <summary>The request did not complete in time.</summary>
        ErrorTimedOut = 205,
        /// <summary>The client is not connected.</summary>
        ErrorNotConnected = 206,
        /// <summary>A protocol message was invalid.</summary>
        ErrorProtocol = 300,
        /// <summary>The handshake failed.</summary>
        ErrorHandshake = 301,
        /// <summary>The server's ping timeout expired.</summary>
        ErrorPing = 302,
        /// <summary>The server answered with an error of no more specific kind.</summary>
        ErrorServer = 303,
        /// <summary>No connected device has this index.</summary>
        ErrorDeviceNotFound = 400,
        /// <summary>The device has no feature with this index.</summary>
        ErrorFeatureNotFound = 401,
        /// <summary>The device or feature does not support the command.</summary>
        ErrorNotSupported = 402,
        /// <summary>A value is outside its allowed range.</summary>
        ErrorOutOfRange = 403,
        /// <summary>The device failed.</summary>
        ErrorDevice = 404,
        /// <summary>The device disconnected.</summary>
        ErrorDeviceDisconnected = 405,
        /// <summary>A hardware operation timed out.</summary>
        ErrorDeviceTimeout = 406,
        /// <summary>A connection or listener could not be opened.</summary>
        ErrorConnect = 500,
        /// <summary>The transport failed.</summary>
        ErrorTransport = 501,
        /// <summary>A panic was caught inside the library.</summary>
        ErrorPanic = 600,
        /// <summary>An internal invariant failed.</summary>
        ErrorInternal = 601,
    }

    /// <summary>
    /// A failed native call or request: <see cref="Status"/> says what kind of failure, the message
    /// is the library's own (from haptix_last_error_message or the response).
    /// </summary>
    public class HaptixException : Exception
    {
        /// <summary>Creates the exception for a status and the library's message.</summary>
        public HaptixException(Status status, string message)
            : base(string.IsNullOrEmpty(message) ? status.ToString() : message)
        {
            Status = status;
        }

        /// <summary>Creates the exception with an inner exception.</summary>
        public HaptixException(Status status, string message, Exception inner)
            : base(string.IsNullOrEmpty(message) ? status.ToString() : message, inner)
        {
            Status = status;
        }

        /// <summary>The status the library reported.</summary>
        public Status Status { get; private set; }

        /// <summary>
        /// For callers of the thin layer (<see cref="Native.NativeMethods"/>): throws a
        /// <see cref="HaptixException"/> for a status other than OK, with the calling thread's last
        /// error message. Call it right after the native call, on the same thread.
        /// </summary>
        public static void ThrowIfFailed(int status)
        {
            Check(status, "the native call");
        }

        /// <summary>
        /// Throws for a non-OK status of a native call made on this thread, with the thread's last
        /// error message; <paramref name="what"/> names the call.
        /// </summary>
        internal static void Check(int status, string what)
        {
            if (status == (int)Status.Ok) return;
            string detail = status >= 100 ? Native.NativeMethods.LastErrorMessage() : "";
            throw new HaptixException((Status)status,
                what + " failed: " + (string.IsNullOrEmpty(detail) ? ((Status)status).ToString() : detail));
        }
    }

    /// <summary>
    /// The native library could not be loaded, is not the Haptix library, or implements another ABI
    /// version. The message names the file looked for and the platform.
    /// </summary>
    public sealed class HaptixLibraryException : HaptixException
    {
        /// <summary>Creates the exception.</summary>
        public HaptixLibraryException(string message, Exception inner = null)
            : base(Status.ErrorAbiMismatch, message, inner) { }
    }
}
