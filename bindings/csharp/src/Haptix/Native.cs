// The thin layer: the C ABI of include/haptix.h mirrored one-to-one with P/Invoke, one SafeHandle
// per handle type, and the library load + ABI check. Nothing here knows about events or tasks.
using System;
using System.Runtime.ConstrainedExecution;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    /// <summary>
    /// Marks a static method that native code calls through a function pointer. Unity's IL2CPP needs
    /// it to generate a reverse P/Invoke wrapper; UnityEngine defines the same attribute, so this
    /// copy exists only where UnityEngine is absent (Mono, .NET).
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        /// <summary>Names the delegate type the method is passed to native code as.</summary>
        public MonoPInvokeCallbackAttribute(Type type) { DelegateType = type; }

        /// <summary>The delegate type given to the constructor.</summary>
        public Type DelegateType { get; private set; }
    }
}
#endif

namespace Haptix.Native
{
    /// <summary>
    /// <c>haptix_buffer</c>: bytes owned by the library, lent to the caller until
    /// <see cref="NativeMethods.haptix_buffer_free"/>. Never free it any other way.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct HaptixBuffer
    {
        /// <summary>First byte, or zero when empty.</summary>
        public IntPtr Data;

        /// <summary>Number of bytes.</summary>
        public UIntPtr Len;

        /// <summary>Copies the bytes into a new managed array (the buffer still has to be freed).</summary>
        public byte[] ToArray()
        {
            int n = checked((int)Len.ToUInt64());
            var bytes = new byte[n];
            if (n > 0) Marshal.Copy(Data, bytes, 0, n);
            return bytes;
        }
    }

    /// <summary>
    /// <c>haptix_event_callback</c>: called on the context's dispatcher thread (a native thread) with
    /// the user data and an encoded <c>haptix.v1.Event</c> borrowed until it returns. Must not throw.
    /// </summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void EventCallback(IntPtr userData, IntPtr eventData, UIntPtr len);

    /// <summary><c>haptix_user_data_free</c>: releases registered user data, exactly once. Must not throw.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void UserDataFree(IntPtr userData);

    /// <summary><c>haptix_wakeup_callback</c>: told that a poll queue became non-empty. Must not throw.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void WakeupCallback(IntPtr userData);

    /// <summary>
    /// Every function of include/haptix.h, as declared there. Input byte arrays are borrowed for the
    /// call (pinned by the marshaller); buffers written to <c>out HaptixBuffer</c> belong to the
    /// caller and must be released with <see cref="haptix_buffer_free"/>. Any thread may call any
    /// function (see the header's THREAD SAFETY section); prefer the SafeHandle overloads, which keep
    /// a handle alive for the duration of a call.
    /// </summary>
    public static class NativeMethods
    {
        /// <summary>The library name given to DllImport: libhaptix.so, libhaptix.dylib or haptix.dll.</summary>
        public const string LibraryName = "haptix";

        /// <summary>The ABI version this binding is written against (HAPTIX_ABI_VERSION).</summary>
        public const uint AbiVersion = 2;

        /// <summary><c>UINT32_MAX</c> as a timeout: wait without limit.</summary>
        public const uint WaitForever = uint.MaxValue;

        /// <summary>haptix_abi_version: the ABI version the library implements. Never fails; any thread.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern uint haptix_abi_version();

        /// <summary>haptix_version: a static NUL-terminated UTF-8 string owned by the library (never free it).</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr haptix_version();

        /// <summary>haptix_buffer_free: releases a buffer the library filled and empties it.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void haptix_buffer_free(ref HaptixBuffer buffer);

        /// <summary>haptix_client_new: creates a client (ClientOptions bytes, may be null with 0) without blocking.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_new(ContextHandle context, byte[] options, UIntPtr optionsLen, out ClientHandle client);

        /// <summary>haptix_client_send: sends a Request; never blocks; the response arrives as an event.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_send(ClientHandle client, byte[] request, UIntPtr len, out ulong requestId);

        /// <summary>
        /// haptix_client_call: sends a Request and blocks up to <paramref name="timeoutMs"/> for its
        /// response (an Event of kind response), written to <paramref name="response"/>. Any thread.
        /// </summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_call(ClientHandle client, byte[] request, UIntPtr len, uint timeoutMs, out HaptixBuffer response);

        /// <summary>haptix_client_next_event: takes the next queued event (poll mode); blocks up to the timeout.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_next_event(ClientHandle client, uint timeoutMs, out HaptixBuffer ev);

        /// <summary>haptix_client_set_event_callback: delivers events to the callback on the dispatcher thread.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_set_event_callback(ClientHandle client, EventCallback callback, IntPtr userData, UserDataFree userDataFree);

        /// <summary>haptix_client_set_wakeup_callback: tells the callback when the poll queue becomes non-empty.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_client_set_wakeup_callback(ClientHandle client, WakeupCallback callback, IntPtr userData, UserDataFree userDataFree);

        /// <summary>haptix_client_free: frees a client (ignored for freed or foreign values). Use ClientHandle.Dispose.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void haptix_client_free(IntPtr client);

        /// <summary>haptix_context_new: creates a context (ContextOptions bytes, may be null with 0); blocks briefly.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_context_new(uint abiVersion, byte[] options, UIntPtr optionsLen, out ContextHandle context);

        /// <summary>haptix_context_shutdown: stops outputs, closes clients and servers; blocks up to about the timeout.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_context_shutdown(ContextHandle context, uint timeoutMs);

        /// <summary>haptix_context_free: frees a context and its clients and servers. Use ContextHandle.Dispose.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void haptix_context_free(IntPtr context);

        /// <summary>haptix_context_next_event: takes the next context event (log records).</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_context_next_event(ContextHandle context, uint timeoutMs, out HaptixBuffer ev);

        /// <summary>haptix_context_set_event_callback: delivers context events to the callback on the dispatcher thread.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_context_set_event_callback(ContextHandle context, EventCallback callback, IntPtr userData, UserDataFree userDataFree);

        /// <summary>haptix_server_new: starts a Buttplug WebSocket server on the context's devices.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_server_new(ContextHandle context, byte[] options, UIntPtr optionsLen, out ServerHandle server);

        /// <summary>haptix_server_port: the TCP port the server listens on.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_server_port(ServerHandle server, out ushort port);

        /// <summary>haptix_server_stop: stops the server; blocks up to about the timeout.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_server_stop(ServerHandle server, uint timeoutMs);

        /// <summary>haptix_server_free: stops (bounded) and frees a server. Use ServerHandle.Dispose.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void haptix_server_free(IntPtr server);

        /// <summary>haptix_last_error_message: copies the calling thread's last error message (UTF-8, NUL-terminated).</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int haptix_last_error_message(byte[] buf, UIntPtr cap, out UIntPtr len);

        /// <summary>
        /// The calling thread's last error message, decoded from UTF-8 (empty when there is none).
        /// Read it right after a failing call, on the same thread.
        /// </summary>
        public static string LastErrorMessage()
        {
            UIntPtr len;
            var buf = new byte[256];
            int status = haptix_last_error_message(buf, (UIntPtr)buf.Length, out len);
            int n = (int)Math.Min(len.ToUInt64(), int.MaxValue - 1);
            if (status == (int)Status.BufferTooSmall)
            {
                buf = new byte[n + 1];
                haptix_last_error_message(buf, (UIntPtr)buf.Length, out len);
                n = (int)Math.Min(len.ToUInt64(), (ulong)(buf.Length - 1));
            }
            else if (status != (int)Status.Ok)
            {
                return "";
            }
            return Encoding.UTF8.GetString(buf, 0, Math.Min(n, buf.Length - 1));
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string owned by the library (explicit UTF-8, not the platform charset).</summary>
        public static string Utf8ToString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>Owns a <c>haptix_context *</c>; releasing it calls haptix_context_free (also from the finalizer).</summary>
    public sealed class ContextHandle : SafeHandle
    {
        /// <summary>Creates an empty handle (filled by the marshaller).</summary>
        public ContextHandle() : base(IntPtr.Zero, true) { }

        /// <summary>True when no native context is held.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Frees the native context (blocks while it shuts down, about 2 s at most).</summary>
        [ReliabilityContract(Consistency.WillNotCorruptState, Cer.Success)]
        protected override bool ReleaseHandle()
        {
            NativeMethods.haptix_context_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>haptix_client *</c>; releasing it calls haptix_client_free (also from the finalizer).</summary>
    public sealed class ClientHandle : SafeHandle
    {
        /// <summary>Creates an empty handle (filled by the marshaller).</summary>
        public ClientHandle() : base(IntPtr.Zero, true) { }

        /// <summary>True when no native client is held.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        private static long releasedUserData;

        // The user data of the binding's wake-up registrations (a weak GCHandle to the Client),
        // freed here once haptix_client_free has returned: no callback starts after that.
        internal IntPtr UserData;

        /// <summary>How many clients' registration user data has been released at their free.</summary>
        internal static long ReleasedUserData { get { return Interlocked.Read(ref releasedUserData); } }

        /// <summary>Frees the native client; a freed context's clients are ignored by the library.</summary>
        [ReliabilityContract(Consistency.WillNotCorruptState, Cer.Success)]
        protected override bool ReleaseHandle()
        {
            NativeMethods.haptix_client_free(handle);
            IntPtr user = Interlocked.Exchange(ref UserData, IntPtr.Zero);
            if (user != IntPtr.Zero)
            {
                GCHandle.FromIntPtr(user).Free();
                Interlocked.Increment(ref releasedUserData);
            }
            return true;
        }
    }

    /// <summary>Owns a <c>haptix_server *</c>; releasing it calls haptix_server_free (also from the finalizer).</summary>
    public sealed class ServerHandle : SafeHandle
    {
        /// <summary>Creates an empty handle (filled by the marshaller).</summary>
        public ServerHandle() : base(IntPtr.Zero, true) { }

        /// <summary>True when no native server is held.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Stops (bounded) and frees the native server.</summary>
        [ReliabilityContract(Consistency.WillNotCorruptState, Cer.Success)]
        protected override bool ReleaseHandle()
        {
            NativeMethods.haptix_server_free(handle);
            return true;
        }
    }

    /// <summary>Finds and checks the native library once per process.</summary>
    public static class Library
    {
        private static readonly object Gate = new object();
        private static bool loaded;

        /// <summary>The file name DllImport looks for on this platform.</summary>
        public static string ExpectedFileName
        {
            get
            {
                switch (Environment.OSVersion.Platform)
                {
                    case PlatformID.Win32NT: return "haptix.dll";
                    case PlatformID.MacOSX: return "libhaptix.dylib";
                    default:
                        // Mono reports macOS as Unix; uname is not available without a native call.
                        return System.IO.Directory.Exists("/System/Library/Frameworks") ? "libhaptix.dylib" : "libhaptix.so";
                }
            }
        }

        /// <summary>A description of this platform for error messages (OS and process architecture).</summary>
        public static string PlatformDescription
        {
            get
            {
                return Environment.OSVersion.VersionString + ", " + (IntPtr.Size == 8 ? "64-bit" : "32-bit") + " process";
            }
        }

        /// <summary>
        /// Loads the library and checks its ABI version. Throws <see cref="HaptixLibraryException"/>
        /// naming the file and platform when the library is missing or built for another ABI.
        /// Safe to call from any thread, any number of times.
        /// </summary>
        public static void EnsureLoaded()
        {
            if (loaded) return;
            lock (Gate)
            {
                if (loaded) return;
                uint abi;
                try
                {
                    abi = NativeMethods.haptix_abi_version();
                }
                catch (DllNotFoundException e)
                {
                    throw new HaptixLibraryException(string.Format(
                        "the native Haptix library '{0}' could not be loaded on {1}: place it next to the application " +
                        "(Unity: Plugins/<platform>/) or on the library search path ({2})",
                        ExpectedFileName, PlatformDescription, e.Message), e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new HaptixLibraryException(string.Format(
                        "'{0}' was loaded on {1} but is not the Haptix library (no haptix_abi_version)",
                        ExpectedFileName, PlatformDescription), e);
                }
                catch (BadImageFormatException e)
                {
                    throw new HaptixLibraryException(string.Format(
                        "'{0}' is not a library for this platform ({1})", ExpectedFileName, PlatformDescription), e);
                }
                if (abi != NativeMethods.AbiVersion)
                {
                    throw new HaptixLibraryException(string.Format(
                        "'{0}' implements C ABI {1} but this binding needs ABI {2} ({3}); use the library of the same release",
                        ExpectedFileName, abi, NativeMethods.AbiVersion, PlatformDescription));
                }
                loaded = true;
            }
        }

        /// <summary>The library's version string, e.g. "0.1.0".</summary>
        public static string Version
        {
            get
            {
                EnsureLoaded();
                return NativeMethods.Utf8ToString(NativeMethods.haptix_version());
            }
        }
    }
}
