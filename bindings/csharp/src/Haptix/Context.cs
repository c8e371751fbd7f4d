using System;
using System.Collections.Generic;
using System.Threading;
using Haptix.Native;

namespace Haptix
{
    /// <summary>A virtual device the context's simulated bus offers when scanning.</summary>
    public sealed class SimulatedDevice
    {
        /// <summary>
        /// Creates the description. <paramref name="identifier"/> is what the device presents: a
        /// Bluetooth name ("LVS-Hush"), "serial:PORT", "hid:VID:PID", "usb:VID:PID" or
        /// "simulated:NAME"; <paramref name="address"/> names it in simulated-device requests
        /// (generated when null).
        /// </summary>
        public SimulatedDevice(string identifier, string address = null)
        {
            if (identifier == null) throw new ArgumentNullException("identifier");
            Identifier = identifier;
            Address = address;
        }

        /// <summary>What the device presents.</summary>
        public string Identifier { get; private set; }

        /// <summary>The address used in simulated-device requests, or null for a generated one.</summary>
        public string Address { get; private set; }
    }

    /// <summary>Options of a <see cref="Context"/>; every member is optional.</summary>
    public sealed class ContextOptions
    {
        /// <summary>Virtual devices found when scanning.</summary>
        public readonly List<SimulatedDevice> SimulatedDevices = new List<SimulatedDevice>();

        /// <summary>Buses to watch; empty means <see cref="CommManager.Simulated"/> only.</summary>
        public readonly List<CommManager> Buses = new List<CommManager>();

        /// <summary>A device database file (official JSON, v4 or v5) instead of the built-in one.</summary>
        public string DeviceConfigPath;

        /// <summary>A device database as JSON bytes (wins over <see cref="DeviceConfigPath"/>).</summary>
        public byte[] DeviceConfigJson;

        /// <summary>A user device configuration file layered over the database.</summary>
        public string UserConfigPath;

        /// <summary>A user device configuration as JSON bytes (wins over <see cref="UserConfigPath"/>).</summary>
        public byte[] UserConfigJson;

        /// <summary>How much the library logs to <see cref="Context.Log"/>; Unspecified means Warn.</summary>
        public LogLevel LogLevel;

        /// <summary>Name the embedded server gives in its handshake; null means "Haptix".</summary>
        public string ServerName;

        /// <summary>Ping timeout of the embedded server in ms; 0 disables it.</summary>
        public uint MaxPingTimeMs;

        /// <summary>Worker threads of the context's runtime; 0 means 2.</summary>
        public uint WorkerThreads;

        /// <summary>Listen address of <see cref="CommManager.WebsocketDevices"/>; null means the library default.</summary>
        public string WebSocketDevicesAddress;

        /// <summary>Addresses ("host:port") of Lovense Connect apps, for <see cref="CommManager.LovenseConnect"/>.</summary>
        public readonly List<string> LovenseConnectAddresses = new List<string>();

        /// <summary>Serial port of the Lovense USB dongle (<see cref="CommManager.LovenseDongleSerial"/>); null finds it by its USB ids.</summary>
        public string LovenseDonglePort;

        internal Proto.ContextOptions ToProto()
        {
            var o = new Proto.ContextOptions();
            o.CommManagers.AddRange(Buses);
            if (DeviceConfigJson != null) o.DeviceConfigJson = DeviceConfigJson;
            else if (DeviceConfigPath != null) o.DeviceConfigPath = DeviceConfigPath;
            if (UserConfigJson != null) o.UserConfigJson = UserConfigJson;
            else if (UserConfigPath != null) o.UserConfigPath = UserConfigPath;
            foreach (var d in SimulatedDevices)
            {
                o.SimulatedDevices.Add(new Proto.SimulatedDevice { Identifier = d.Identifier, Address = d.Address });
            }
            o.LogLevel = LogLevel;
            o.ServerName = ServerName;
            o.MaxPingTimeMs = MaxPingTimeMs;
            o.WorkerThreads = WorkerThreads;
            o.WebsocketDevicesAddress = WebSocketDevicesAddress;
            o.LovenseConnectAddresses.AddRange(LovenseConnectAddresses);
            o.LovenseDonglePort = LovenseDonglePort;
            return o;
        }
    }

    /// <summary>
    /// A Haptix context: the library's runtime, its embedded server with the device database and
    /// buses, and the thread that delivers native callbacks. Create one per application (or per
    /// Unity play session) and dispose it at the end; a new one may be created after that.
    /// </summary>
    /// <remarks>
    /// Thread-safe. <see cref="Dispose"/> disposes the context's clients and servers first, then
    /// shuts the context down (stopping every device) and frees it; it is idempotent, and the
    /// finalizer frees a context that was never disposed.
    /// </remarks>
    public sealed class Context : IDisposable
    {
        internal readonly ContextHandle Handle;

        /// <summary>
        /// The native handle, for calling the thin layer (<see cref="NativeMethods"/>) directly. Owned
        /// by this context: do not dispose it yourself.
        /// </summary>
        public ContextHandle NativeHandle { get { return Handle; } }
        private readonly object gate = new object();
        private readonly List<WeakReference> children = new List<WeakReference>();
        private readonly object dispatchGate = new object();
        private int disposed;

        /// <summary>Creates a context with default options (simulated bus, built-in database, no devices).</summary>
        public Context() : this(null) { }

        /// <summary>
        /// Creates a context. Blocks briefly (loading the database, starting threads). Throws
        /// <see cref="HaptixLibraryException"/> when the native library is missing or has another
        /// ABI, <see cref="HaptixException"/> with the library's message for bad options.
        /// </summary>
        public Context(ContextOptions options)
        {
            Library.EnsureLoaded();
            byte[] bytes = options == null ? null : options.ToProto().ToByteArray();
            ContextHandle handle;
            int status = NativeMethods.haptix_context_new(NativeMethods.AbiVersion, bytes,
                (UIntPtr)(bytes == null ? 0 : bytes.Length), out handle);
            if (status != 0)
            {
                string message = NativeMethods.LastErrorMessage();
                if (handle != null) handle.SetHandleAsInvalid();
                throw new HaptixException((Status)status, "creating the context failed: " + message);
            }
            Handle = handle;
            lock (Live)
            {
                if (Live.Count > 16) Live.RemoveAll(w => !w.IsAlive);
                Live.Add(new WeakReference(this));
                if (!hooked)
                {
                    // Native threads must not call into a runtime that is going away (process exit,
                    // an AppDomain or Unity script reload): free every live context first.
                    hooked = true;
                    AppDomain.CurrentDomain.ProcessExit += DisposeAllLive;
                    AppDomain.CurrentDomain.DomainUnload += DisposeAllLive;
                }
            }
        }

        private static readonly List<WeakReference> Live = new List<WeakReference>();
        private static bool hooked;

        private static void DisposeAllLive(object sender, EventArgs e)
        {
            List<Context> contexts = new List<Context>();
            lock (Live)
            {
                foreach (var w in Live)
                {
                    var c = w.Target as Context;
                    if (c != null) contexts.Add(c);
                }
                Live.Clear();
            }
            foreach (var c in contexts)
            {
                try
                {
                    c.Dispose();
                }
                catch (Exception)
                {
                }
            }
        }

        /// <summary>
        /// A log record of the library. Raised only by <see cref="DispatchEvents"/>, on the thread
        /// that calls it.
        /// </summary>
        public event EventHandler<LogEventArgs> Log;

        /// <summary>True once <see cref="Dispose"/> ran.</summary>
        public bool IsDisposed { get { return Volatile.Read(ref disposed) != 0; } }

        /// <summary>
        /// Raises <see cref="Log"/> for queued log records on the calling thread (poll mode; call it
        /// once per frame) and returns how many. Never blocks. Does nothing after disposal.
        /// </summary>
        public int DispatchEvents(int maxEvents = int.MaxValue)
        {
            int count = 0;
            lock (dispatchGate)
            {
                while (count < maxEvents && !IsDisposed)
                {
                    HaptixBuffer buffer;
                    int status;
                    try
                    {
                        status = NativeMethods.haptix_context_next_event(Handle, 0, out buffer);
                    }
                    catch (ObjectDisposedException)
                    {
                        break;
                    }
                    if (status != 0) break;
                    Proto.Event ev;
                    try
                    {
                        ev = Proto.Event.Parse(buffer.ToArray());
                    }
                    finally
                    {
                        NativeMethods.haptix_buffer_free(ref buffer);
                    }
                    count++;
                    var handler = Log;
                    if (ev.KindCase == Proto.Event.KindOneofCase.Log && handler != null)
                    {
                        handler(this, new LogEventArgs(ev.Log));
                    }
                }
            }
            return count;
        }

        /// <summary>
        /// Starts a Buttplug WebSocket server on this context's devices, listening on
        /// <paramref name="listenAddress"/> ("127.0.0.1:0" picks a free port; read it from
        /// <see cref="Server.Port"/>). Blocks briefly while binding.
        /// </summary>
        public Server StartServer(string listenAddress = "127.0.0.1:0")
        {
            ThrowIfDisposed();
            var options = new Proto.ServerOptions { ListenAddress = listenAddress };
            byte[] bytes = options.ToByteArray();
            ServerHandle handle;
            int status = NativeMethods.haptix_server_new(Handle, bytes, (UIntPtr)bytes.Length, out handle);
            if (status != 0)
            {
                string message = NativeMethods.LastErrorMessage();
                if (handle != null) handle.SetHandleAsInvalid();
                throw new HaptixException((Status)status, "starting the server failed: " + message);
            }
            var server = new Server(handle);
            Adopt(server);
            return server;
        }

        /// <summary>
        /// Shuts the context down: stops every device output, then ends each client's connection
        /// (their <see cref="Client.Disconnected"/> events can still be dispatched). Blocks up to
        /// about <paramref name="timeoutMs"/>. Calling it again does nothing.
        /// </summary>
        public void Shutdown(uint timeoutMs = 2000)
        {
            if (IsDisposed) return;
            int status;
            try
            {
                status = NativeMethods.haptix_context_shutdown(Handle, timeoutMs);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            HaptixException.Check(status, "haptix_context_shutdown");
            // The dispatcher has stopped, so no notifier tells the clients about events that
            // came after it: take them now (cancelled responses fail their tasks at once).
            List<Client> clients = new List<Client>();
            lock (gate)
            {
                foreach (var w in children)
                {
                    var c = w.Target as Client;
                    if (c != null) clients.Add(c);
                }
            }
            foreach (var c in clients)
            {
                if (!c.IsDisposed) c.TakeEvents(true);
            }
        }

        /// <summary>Disposes the context's clients and servers, shuts it down and frees it. Idempotent; any thread.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            List<IDisposable> owned = new List<IDisposable>();
            lock (gate)
            {
                foreach (var w in children)
                {
                    var d = w.Target as IDisposable;
                    if (d != null) owned.Add(d);
                }
                children.Clear();
            }
            foreach (var d in owned) d.Dispose();
            Handle.Dispose();
        }

        internal void Adopt(IDisposable child)
        {
            lock (gate)
            {
                if (children.Count > 16)
                {
                    children.RemoveAll(w => !w.IsAlive);
                }
                children.Add(new WeakReference(child));
            }
        }

        internal void ThrowIfDisposed()
        {
            if (IsDisposed) throw new ObjectDisposedException("Haptix.Context");
        }
    }

    /// <summary>A Buttplug WebSocket server of a context (<see cref="Context.StartServer"/>).</summary>
    public sealed class Server : IDisposable
    {
        private readonly ServerHandle handle;

        internal Server(ServerHandle handle) { this.handle = handle; }

        /// <summary>The TCP port the server listens on.</summary>
        public int Port
        {
            get
            {
                ushort port;
                HaptixException.Check(NativeMethods.haptix_server_port(handle, out port), "haptix_server_port");
                return port;
            }
        }

        /// <summary>The server's WebSocket URL on the loopback interface, e.g. "ws://127.0.0.1:12345".</summary>
        public string Url { get { return "ws://127.0.0.1:" + Port; } }

        /// <summary>Stops accepting; the connected client is disconnected. Blocks up to about the timeout.</summary>
        public void Stop(uint timeoutMs = 2000)
        {
            HaptixException.Check(NativeMethods.haptix_server_stop(handle, timeoutMs), "haptix_server_stop");
        }

        /// <summary>Stops (bounded) and frees the server. Idempotent; any thread.</summary>
        public void Dispose() { handle.Dispose(); }
    }
}
