using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Haptix.Native;
using Haptix.Proto;

namespace Haptix
{
    /// <summary>
    /// A connection to a Buttplug server: the context's embedded server
    /// (<see cref="ConnectEmbedded(Context, string, uint)"/>) or a remote one over WebSocket
    /// (<see cref="ConnectAsync(Context, string, string, uint, CancellationToken)"/>).
    /// </summary>
    /// <remarks>
    /// <para><b>Threads.</b> Every method may be called from any thread, including from inside an
    /// event handler. The client runs the library in poll mode and takes its events
    /// (haptix_client_next_event, timeout 0), one thread at a time and in order: the thread that
    /// has just sent a request (the embedded server usually answers an output during the send, so
    /// its task is returned completed), <see cref="DispatchEvents"/> and the state getters, and,
    /// while a task waits for a response that came later, while connecting or with the background
    /// pump on, a static wake-up callback on the library's dispatcher thread. Taking an event
    /// completes the task of its request (continuations run asynchronously: on the awaiting code's
    /// SynchronizationContext or the thread pool, never where the event was taken) or queues it
    /// for the handlers; it never runs user code.</para>
    /// <para><b>Events</b> (<see cref="DeviceAdded"/>, <see cref="DeviceRemoved"/>,
    /// <see cref="ScanningFinished"/>, <see cref="InputReading"/>, <see cref="Disconnected"/>,
    /// <see cref="ErrorReceived"/>) are raised in poll mode by default: only by
    /// <see cref="DispatchEvents"/>, on the thread that calls it (Unity: the main thread, once per
    /// frame). <see cref="StartEventPump"/> instead posts them to a SynchronizationContext.</para>
    /// <para><b>Waiting.</b> The synchronous methods (<see cref="Ping"/>, <see cref="Device.Vibrate"/>,
    /// ...) wait through haptix_client_call, which works on any thread; waiting on a task
    /// (<c>.Wait()</c>, <c>.Result</c>) works too, because a response that was not there at the
    /// send is taken by the dispatcher thread's callback, which no handler can block. Neither
    /// deadlocks inside an event handler.</para>
    /// <para><b>Disposal.</b> <see cref="Dispose"/> is idempotent, may be called from a handler, and
    /// fails pending tasks with <see cref="Status.ErrorCancelled"/>. A client that is dropped
    /// without disposal is freed by the finalizer.</para>
    /// </remarks>
    public sealed class Client : IDisposable
    {
        private static readonly WakeupCallback OnWakeupCallback = OnNativeWakeup;
        private static readonly SendOrPostCallback DrainCallback = DrainPosted;
        private static readonly WaitCallback DrainPoolCallback = DrainPosted;
        private static readonly WaitCallback TakeEventsCallback = state => ((Client)state).TakeEvents(true);
        private static readonly WaitCallback DisposeCallback = state => ((Client)state).Dispose();

        /// <summary>
        /// How many events are kept for <see cref="DispatchEvents"/> when nobody dispatches them;
        /// beyond it the oldest are dropped and counted in <see cref="DroppedEvents"/>.
        /// </summary>
        public const int MaxQueuedEvents = 10000;
        private static int callUnavailable;

        /// <summary>
        /// How many clients' callback registrations have been released (each client's, once the
        /// library freed it, by disposal or the finalizer): for leak checks.
        /// </summary>
        public static long ReleasedRegistrations { get { return ClientHandle.ReleasedUserData; } }

        private readonly ClientHandle handle;
        private readonly Context context;
        private readonly bool ownsContext;
        private readonly object gate = new object();
        private readonly object dispatchGate = new object();
        private readonly Dictionary<ulong, PendingRequest> pending = new Dictionary<ulong, PendingRequest>();
        private readonly Dictionary<uint, Device> devices = new Dictionary<uint, Device>();
        private readonly Queue<EventArgs> queue = new Queue<EventArgs>();
        private readonly TaskCompletionSource<Client> connected =
            new TaskCompletionSource<Client>(TaskCreationOptions.RunContinuationsAsynchronously);
        private GCHandle keepAlive;
        private long nextId;
        private int callsInFlight;
        private int disposed;
        private bool isConnected;
        private bool ended;
        private string serverName = "";
        private uint specVersion;
        private SynchronizationContext pumpTarget;
        private bool pumpOn;
        private bool drainScheduled;
        private long droppedEvents;
        // One thread at a time takes events from the library (see TakeEvents); notifierOn and
        // postOwed are guarded by takeGate, awaiting by gate.
        private readonly object takeGate = new object();
        private int takeAgain;
        private bool postOwed;
        private bool notifierOn;
        private int awaiting;

        private Client(Context context, bool ownsContext, ClientOptions options)
        {
            this.context = context;
            this.ownsContext = ownsContext;
            context.ThrowIfDisposed();
            byte[] bytes = options.ToByteArray();
            ClientHandle h;
            int status = NativeMethods.haptix_client_new(context.Handle, bytes, (UIntPtr)bytes.Length, out h);
            if (status != 0)
            {
                string message = NativeMethods.LastErrorMessage();
                if (h != null) h.SetHandleAsInvalid();
                throw new HaptixException((Status)status, "creating the client failed: " + message);
            }
            handle = h;
            // Hold the client while it connects: the pending connection task alone does not root it.
            keepAlive = GCHandle.Alloc(this);
            // The user data of every notifier registration: a weak handle, freed with the native
            // client (after haptix_client_free, when no callback can start any more).
            handle.UserData = GCHandle.ToIntPtr(GCHandle.Alloc(this, GCHandleType.Weak));
            // The notifier takes the Connected event (or the failure) while nobody else does.
            notifierOn = true;
            status = NativeMethods.haptix_client_set_wakeup_callback(handle, OnWakeupCallback, handle.UserData, null);
            if (status != 0)
            {
                string message = NativeMethods.LastErrorMessage();
                keepAlive.Free();
                handle.Dispose();
                throw new HaptixException((Status)status, "registering the event pump failed: " + message);
            }
            context.Adopt(this);
        }

        // ---------------------------------------------------------------- connecting

        /// <summary>
        /// Connects to the context's embedded server and waits until connected (that is quick: no
        /// network). <paramref name="name"/> is the client name sent in the handshake;
        /// <paramref name="requestTimeoutMs"/> bounds every request (0: the library's 10 s).
        /// </summary>
        public static Client ConnectEmbedded(Context context, string name = null, uint requestTimeoutMs = 0)
        {
            return Wait(ConnectEmbeddedAsync(context, name, requestTimeoutMs, CancellationToken.None));
        }

        /// <summary>Connects to the context's embedded server; the task completes once connected.</summary>
        public static Task<Client> ConnectEmbeddedAsync(Context context, string name = null, uint requestTimeoutMs = 0,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (context == null) throw new ArgumentNullException("context");
            var options = new ClientOptions { ClientName = name ?? "Haptix C# client", Embedded = new EmbeddedServer(), RequestTimeoutMs = requestTimeoutMs };
            return new Client(context, false, options).Connecting(cancellationToken);
        }

        /// <summary>
        /// Connects to a remote Buttplug server at <paramref name="url"/> ("ws://host:port") using
        /// <paramref name="context"/>'s runtime. The task fails with a <see cref="HaptixException"/>
        /// (the library's message) when the connection cannot be made, and is cancelled (the
        /// client disposed) when <paramref name="cancellationToken"/> fires first.
        /// </summary>
        public static Task<Client> ConnectAsync(Context context, string url, string name = null, uint requestTimeoutMs = 0,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (context == null) throw new ArgumentNullException("context");
            if (url == null) throw new ArgumentNullException("url");
            var options = new ClientOptions { ClientName = name ?? "Haptix C# client", WebsocketUrl = url, RequestTimeoutMs = requestTimeoutMs };
            return new Client(context, false, options).Connecting(cancellationToken);
        }

        /// <summary>
        /// Connects to a remote Buttplug server with a context of its own, which the client
        /// disposes with itself.
        /// </summary>
        public static Task<Client> ConnectAsync(string url, string name = null, uint requestTimeoutMs = 0,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (url == null) throw new ArgumentNullException("url");
            var context = new Context();
            try
            {
                var options = new ClientOptions { ClientName = name ?? "Haptix C# client", WebsocketUrl = url, RequestTimeoutMs = requestTimeoutMs };
                return new Client(context, true, options).Connecting(cancellationToken);
            }
            catch
            {
                context.Dispose();
                throw;
            }
        }

        private Task<Client> Connecting(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() =>
                {
                    if (connected.TrySetCanceled()) Dispose();
                });
                connected.Task.ContinueWith(_ => registration.Dispose(), TaskContinuationOptions.ExecuteSynchronously);
            }
            return connected.Task;
        }

        // ---------------------------------------------------------------- state

        /// <summary>
        /// The native handle, for calling the thin layer (<see cref="NativeMethods"/>) directly, e.g.
        /// haptix_client_send of fire-and-forget requests. Owned by this client: do not dispose it,
        /// register no callback on it and do not take its events (haptix_client_next_event): the
        /// client takes them.
        /// </summary>
        public ClientHandle NativeHandle { get { return handle; } }

        /// <summary>The context this client runs on.</summary>
        public Context Context { get { return context; } }

        /// <summary>True between the connection and its end (or disposal).</summary>
        public bool IsConnected
        {
            get
            {
                Refresh();
                lock (gate) return isConnected;
            }
        }

        /// <summary>True once <see cref="Dispose"/> ran.</summary>
        public bool IsDisposed { get { return Volatile.Read(ref disposed) != 0; } }

        /// <summary>The server's name from the handshake ("" before connecting).</summary>
        public string ServerName { get { lock (gate) return serverName; } }

        /// <summary>The negotiated Buttplug message spec version (3 or 4; 0 before connecting).</summary>
        public uint SpecVersion { get { lock (gate) return specVersion; } }

        /// <summary>
        /// A snapshot of the connected devices, in index order. Takes the library's queued events
        /// first, so it may list a device whose <see cref="DeviceAdded"/> has not been dispatched yet.
        /// </summary>
        public IReadOnlyList<Device> Devices
        {
            get
            {
                Refresh();
                lock (gate)
                {
                    var list = new List<Device>(devices.Values);
                    list.Sort((a, b) => a.Index.CompareTo(b.Index));
                    return list;
                }
            }
        }

        /// <summary>The connected device with this index, or null.</summary>
        public Device GetDevice(uint index)
        {
            Refresh();
            lock (gate)
            {
                Device d;
                return devices.TryGetValue(index, out d) ? d : null;
            }
        }

        // ---------------------------------------------------------------- events

        /// <summary>A device connected. Raised by <see cref="DispatchEvents"/> or the event pump.</summary>
        public event EventHandler<DeviceEventArgs> DeviceAdded;

        /// <summary>A device disconnected. Raised by <see cref="DispatchEvents"/> or the event pump.</summary>
        public event EventHandler<DeviceEventArgs> DeviceRemoved;

        /// <summary>A scan finished. Raised by <see cref="DispatchEvents"/> or the event pump.</summary>
        public event EventHandler<ScanningFinishedEventArgs> ScanningFinished;

        /// <summary>A subscribed input sent a reading. Raised by <see cref="DispatchEvents"/> or the event pump.</summary>
        public event EventHandler<InputReadingEventArgs> InputReading;

        /// <summary>
        /// The connection ended (requested, server gone, context shut down) or could not be made;
        /// the last event of the client. Raised by <see cref="DispatchEvents"/> or the event pump.
        /// </summary>
        public event EventHandler<DisconnectedEventArgs> Disconnected;

        /// <summary>An error reported outside any request. Raised by <see cref="DispatchEvents"/> or the event pump.</summary>
        public event EventHandler<ErrorEventArgs> ErrorReceived;

        /// <summary>Events dropped because more than <see cref="MaxQueuedEvents"/> were waiting.</summary>
        public long DroppedEvents
        {
            get
            {
                Refresh();
                return Interlocked.Read(ref droppedEvents);
            }
        }

        /// <summary>Number of events queued for <see cref="DispatchEvents"/>.</summary>
        public int PendingEventCount
        {
            get
            {
                Refresh();
                lock (gate) return queue.Count;
            }
        }

        /// <summary>
        /// Takes the events the library has queued, then raises the queued events, in order, on the
        /// calling thread, and returns how many (poll mode: call it once per frame). Never blocks
        /// on the library. A handler may call any method of the binding, including synchronous ones
        /// and <see cref="Dispose"/>; an exception from a handler propagates to the caller and the
        /// remaining events stay queued. Calls from several threads take turns. Does nothing after
        /// disposal.
        /// </summary>
        public int DispatchEvents(int maxEvents = int.MaxValue)
        {
            int count = 0;
            if (!IsDisposed) TakeEvents(false);
            lock (dispatchGate)
            {
                while (count < maxEvents && !IsDisposed)
                {
                    EventArgs e;
                    lock (gate)
                    {
                        if (queue.Count == 0) break;
                        e = queue.Dequeue();
                    }
                    count++;
                    Raise(e);
                }
            }
            return count;
        }

        /// <summary>
        /// Switches from poll mode to delivery by a background pump: the events are raised through
        /// <paramref name="target"/>'s Post (default: the calling thread's current
        /// SynchronizationContext; the thread pool when there is none), in order, one at a time.
        /// <see cref="DispatchEvents"/> still works and takes turns with it.
        /// </summary>
        public void StartEventPump(SynchronizationContext target = null)
        {
            bool post;
            lock (gate)
            {
                pumpTarget = target ?? SynchronizationContext.Current;
                pumpOn = true;
                post = queue.Count > 0 && !drainScheduled;
                if (post) drainScheduled = true;
            }
            if (post) Post();
            // Registers the notifier: from now on events are taken as they come.
            if (!IsDisposed) TakeEvents(true);
        }

        /// <summary>Returns to poll mode; events queue up for <see cref="DispatchEvents"/> again.</summary>
        public void StopEventPump()
        {
            lock (gate)
            {
                pumpOn = false;
                pumpTarget = null;
            }
            Refresh();
        }

        private void Post()
        {
            SynchronizationContext target;
            lock (gate) target = pumpTarget;
            try
            {
                if (target != null) target.Post(DrainCallback, this);
                else ThreadPool.UnsafeQueueUserWorkItem(DrainPoolCallback, this);
            }
            catch (Exception)
            {
                lock (gate) drainScheduled = false;
            }
        }

        private static void DrainPosted(object state)
        {
            var client = (Client)state;
            while (true)
            {
                lock (client.gate)
                {
                    if (!client.pumpOn || client.queue.Count == 0 || client.IsDisposed)
                    {
                        client.drainScheduled = false;
                        return;
                    }
                }
                try
                {
                    client.DispatchEvents(1);
                }
                catch (Exception e)
                {
                    // A handler threw: report it on the same delivery path and keep going.
                    client.ReportHandlerException(e);
                }
            }
        }

        /// <summary>
        /// Raised (on the pump's SynchronizationContext) when an event handler run by the background
        /// pump throws; in poll mode the exception propagates from <see cref="DispatchEvents"/> instead.
        /// </summary>
        public event EventHandler<UnhandledExceptionEventArgs> HandlerException;

        private void ReportHandlerException(Exception e)
        {
            var h = HandlerException;
            if (h != null)
            {
                try { h(this, new UnhandledExceptionEventArgs(e, false)); }
                catch (Exception) { }
            }
        }

        private void Raise(EventArgs e)
        {
            var deviceEvent = e as DeviceEventArgs;
            if (deviceEvent != null)
            {
                var h = deviceEvent.Removed ? DeviceRemoved : DeviceAdded;
                if (h != null) h(this, deviceEvent);
                return;
            }
            var reading = e as InputReadingEventArgs;
            if (reading != null)
            {
                var h = InputReading;
                if (h != null) h(this, reading);
                return;
            }
            var disc = e as DisconnectedEventArgs;
            if (disc != null)
            {
                var h = Disconnected;
                if (h != null) h(this, disc);
                return;
            }
            var err = e as ErrorEventArgs;
            if (err != null)
            {
                var h = ErrorReceived;
                if (h != null) h(this, err);
                return;
            }
            var fin = e as ScanningFinishedEventArgs;
            if (fin != null)
            {
                var h = ScanningFinished;
                if (h != null) h(this, fin);
            }
        }

        // ---------------------------------------------------------------- taking events

        [AOT.MonoPInvokeCallback(typeof(WakeupCallback))]
        private static void OnNativeWakeup(IntPtr userData)
        {
            // Runs on the library's dispatcher thread when the client's queue became non-empty:
            // must not throw, must not block, must not run user code. It takes the events unless
            // another thread is taking them already, which then takes these too.
            try
            {
                var client = GCHandle.FromIntPtr(userData).Target as Client;
                if (client != null) client.TakeEvents(false);
            }
            catch (Exception)
            {
            }
        }

        /// <summary>
        /// Takes every event the library has queued for this client (haptix_client_next_event with
        /// timeout 0) and routes each one, in order: a response completes its request's task, the
        /// other events update the client's state and queue up for <see cref="DispatchEvents"/>.
        /// One thread at a time; never runs user code and never waits for the library.
        /// <paramref name="wait"/> false never blocks: when another thread is taking events, it
        /// leaves a note and that thread takes another turn. Then registers or removes the
        /// wake-up notifier as needed (see <see cref="NotifierNeeded"/>).
        /// </summary>
        /// <remarks>
        /// Called by the thread that has just sent a request (an embedded server usually answers
        /// during the send, so the task completes on the sending thread, with no thread switch),
        /// by <see cref="DispatchEvents"/> and the state getters, after a context shutdown, and by
        /// the notifier on the dispatcher thread while it is registered. It is registered only
        /// while something waits for an event nobody else may take soon: the notifier costs the
        /// library a wake-up of its dispatcher thread for every event, which would double the cost
        /// of a command.
        /// </remarks>
        internal void TakeEvents(bool wait, PendingRequest sent = null)
        {
            if (Monitor.IsEntered(takeGate)) return; // already taking, further up this thread's stack
            if (wait)
            {
                Monitor.Enter(takeGate);
            }
            else
            {
                Interlocked.Exchange(ref takeAgain, 1);
                if (!Monitor.TryEnter(takeGate)) return;
            }
            for (int turn = 0; ; turn++)
            {
                bool post;
                try
                {
                    Volatile.Write(ref takeAgain, 0);
                    TakeQueued();
                    if (sent != null)
                    {
                        MarkAwaiting(sent);
                        sent = null;
                    }
                    UpdateNotifier();
                    post = postOwed;
                    postOwed = false;
                }
                finally
                {
                    Monitor.Exit(takeGate);
                }
                if (post) Post();
                // The notifier writes its note, then tries the gate; this thread released the gate,
                // then reads the note: one of the two sees the other.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref takeAgain) == 0) return;
                if (turn >= 3)
                {
                    // Events keep coming while other threads send: let a pool thread take them
                    // rather than hold this caller back.
                    ThreadPool.UnsafeQueueUserWorkItem(TakeEventsCallback, this);
                    return;
                }
                if (!Monitor.TryEnter(takeGate)) return;
            }
        }

        // With takeGate held.
        private void TakeQueued()
        {
            while (true)
            {
                HaptixBuffer buffer;
                int status;
                try
                {
                    status = NativeMethods.haptix_client_next_event(handle, 0, out buffer);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                if (status != 0) return; // TIMEOUT: nothing more; CLOSED: the stream has ended
                try
                {
                    ulong id;
                    if (!IsPlainSuccess(buffer.Data, checked((int)buffer.Len.ToUInt64()), out id) || !CompletePlainSuccess(id))
                    {
                        Route(Proto.Event.Parse(buffer.ToArray()));
                    }
                }
                catch (Exception e)
                {
                    try { Enqueue(new ErrorEventArgs(Status.ErrorInternal, "the C# event pump failed: " + e.Message)); }
                    catch (Exception) { }
                }
                finally
                {
                    NativeMethods.haptix_buffer_free(ref buffer);
                }
            }
        }

        // With takeGate held, after the sending thread took what was there: a request still
        // unanswered keeps the notifier registered until its response is taken.
        private void MarkAwaiting(PendingRequest sent)
        {
            lock (gate)
            {
                PendingRequest p;
                if (!sent.Awaiting && pending.TryGetValue(sent.Id, out p) && p == sent)
                {
                    sent.Awaiting = true;
                    awaiting++;
                }
            }
        }

        // With gate held, when a pending request leaves the table.
        private void Unpend(PendingRequest p)
        {
            pending.Remove(p.Id);
            if (p.Awaiting) awaiting--;
        }

        /// <summary>
        /// Whether the wake-up notifier must be registered: while the client connects, while a
        /// sent request's response was not there when its sender looked (someone may be waiting
        /// for it on another thread), and while the background pump is on. Otherwise events wait
        /// in the library until a send, <see cref="DispatchEvents"/> or a state getter takes them.
        /// </summary>
        private bool NotifierNeeded()
        {
            lock (gate) return !IsDisposed && (pumpOn || awaiting > 0 || (!isConnected && !ended));
        }

        // With takeGate held.
        private void UpdateNotifier()
        {
            bool needed = NotifierNeeded();
            if (needed == notifierOn) return;
            try
            {
                // Refused only for good (a freed client, a shut-down context: then the remaining
                // events are taken by Context.Shutdown and DispatchEvents), so not retried.
                _ = needed
                    ? NativeMethods.haptix_client_set_wakeup_callback(handle, OnWakeupCallback, handle.UserData, null)
                    : NativeMethods.haptix_client_set_wakeup_callback(handle, null, IntPtr.Zero, null);
            }
            catch (ObjectDisposedException)
            {
            }
            notifierOn = needed;
        }

        // Takes what is queued before a getter reads the client's state (poll mode). Never blocks.
        internal void Refresh()
        {
            if (!IsDisposed) TakeEvents(false);
        }

        /// <summary>
        /// True for a response that succeeded with nothing in it (most responses to commands), read
        /// from the native bytes in place: field 1 (request_id), then field 10 (response) empty.
        /// Gives the request's id.
        /// </summary>
        private static bool IsPlainSuccess(IntPtr data, int n, out ulong id)
        {
            id = 0;
            if (n < 4 || n > 13 || Marshal.ReadByte(data, 0) != 0x08) return false;
            int i = 1;
            for (int shift = 0; ; shift += 7)
            {
                if (i >= n || shift > 63) return false;
                byte b = Marshal.ReadByte(data, i++);
                id |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) break;
            }
            return i + 2 == n && Marshal.ReadByte(data, i) == 0x52 && Marshal.ReadByte(data, i + 1) == 0;
        }

        /// <summary>
        /// Completes the request of a plain success without decoding it, when its task has no use
        /// for the response. True when done: false sends the event down the decoding path. A
        /// command sent without a task (an id the library chose, at or above 2^63) is dropped
        /// here, so its success costs no allocation.
        /// </summary>
        private bool CompletePlainSuccess(ulong id)
        {
            if (id >= FirstLibraryId) return true;
            PendingRequest p;
            lock (gate)
            {
                if (!pending.TryGetValue(id, out p) || p.NeedsResponse) return false;
                Unpend(p);
                ReleaseKeepAliveLocked();
            }
            p.Complete(PlainSuccess);
            return true;
        }

        // What CompletePlainSuccess completes with; seen only by tasks that ignore the response.
        private static readonly Response PlainSuccess = new Response();

        private const ulong FirstLibraryId = 1UL << 63;

        private void Route(Proto.Event ev)
        {
            switch (ev.KindCase)
            {
                case Proto.Event.KindOneofCase.Response:
                {
                    PendingRequest p;
                    lock (gate)
                    {
                        if (pending.TryGetValue(ev.RequestId, out p))
                        {
                            Unpend(p);
                            ReleaseKeepAliveLocked();
                        }
                    }
                    if (p == null)
                    {
                        // A command sent without a task (SendOutput) failed: report it as an event.
                        var r = ev.Response;
                        if (ev.RequestId >= FirstLibraryId && r != null && r.Status != 0)
                        {
                            Enqueue(new ErrorEventArgs((Status)r.Status, "a command sent without a task failed: " + r.Message));
                        }
                        return;
                    }
                    p.Complete(ev.Response);
                    return;
                }
                case Proto.Event.KindOneofCase.Connected:
                    lock (gate)
                    {
                        isConnected = true;
                        serverName = ev.Connected.ServerName;
                        specVersion = ev.Connected.SpecVersion;
                        ReleaseKeepAliveLocked();
                    }
                    connected.TrySetResult(this);
                    return;
                case Proto.Event.KindOneofCase.Disconnected:
                {
                    var d = ev.Disconnected;
                    List<PendingRequest> failed;
                    List<Device> gone;
                    lock (gate)
                    {
                        isConnected = false;
                        ended = true;
                        failed = new List<PendingRequest>(pending.Values);
                        pending.Clear();
                        awaiting = 0;
                        gone = new List<Device>(devices.Values);
                        devices.Clear();
                        ReleaseKeepAliveLocked();
                    }
                    var status = d.Status == 0 ? Status.Ok : (Status)d.Status;
                    if (connected.TrySetException(new HaptixException(status == Status.Ok ? Status.ErrorConnect : status,
                        "the connection could not be made: " + d.Reason)))
                    {
                        // Nobody holds a client whose connection failed: free it now, off the
                        // dispatcher thread (it may own a context, whose free waits for that thread).
                        ThreadPool.UnsafeQueueUserWorkItem(DisposeCallback, this);
                    }
                    foreach (var dev in gone) dev.MarkRemoved();
                    var error = new HaptixException(Status.ErrorNotConnected, "the client disconnected: " + d.Reason);
                    foreach (var p in failed) p.Fail(error);
                    Enqueue(new DisconnectedEventArgs(d.Reason, status));
                    return;
                }
                case Proto.Event.KindOneofCase.DeviceAdded:
                {
                    var device = new Device(this, ev.DeviceAdded.Device ?? new Proto.Device());
                    Device previous;
                    lock (gate)
                    {
                        devices.TryGetValue(device.Index, out previous);
                        devices[device.Index] = device;
                    }
                    if (previous != null) previous.MarkRemoved();
                    Enqueue(new DeviceEventArgs(device, false));
                    return;
                }
                case Proto.Event.KindOneofCase.DeviceRemoved:
                {
                    Device device;
                    lock (gate)
                    {
                        if (!devices.TryGetValue(ev.DeviceRemoved.DeviceIndex, out device)) return;
                        devices.Remove(device.Index);
                    }
                    device.MarkRemoved();
                    Enqueue(new DeviceEventArgs(device, true));
                    return;
                }
                case Proto.Event.KindOneofCase.ScanningFinished:
                    Enqueue(ScanningFinishedEventArgs.Instance);
                    return;
                case Proto.Event.KindOneofCase.InputReading:
                {
                    var r = ev.InputReading;
                    Device device;
                    lock (gate) devices.TryGetValue(r.DeviceIndex, out device);
                    Enqueue(new InputReadingEventArgs(device, r.DeviceIndex, r.FeatureIndex, r.InputType, r.Value));
                    return;
                }
                case Proto.Event.KindOneofCase.Error:
                    Enqueue(new ErrorEventArgs((Status)ev.Error.Status, ev.Error.Message));
                    return;
                default:
                    // Log records go to the context; kinds this binding does not know are skipped.
                    return;
            }
        }

        private void Enqueue(EventArgs e)
        {
            bool post = false;
            lock (gate)
            {
                if (IsDisposed) return;
                if (queue.Count >= MaxQueuedEvents)
                {
                    queue.Dequeue();
                    Interlocked.Increment(ref droppedEvents);
                }
                queue.Enqueue(e);
                if (pumpOn && !drainScheduled)
                {
                    drainScheduled = true;
                    post = true;
                }
            }
            if (!post) return;
            // Posting may run a SynchronizationContext's code: never while taking events.
            if (Monitor.IsEntered(takeGate)) postOwed = true;
            else Post();
        }

        private void ReleaseKeepAliveLocked()
        {
            if (pending.Count == 0 && keepAlive.IsAllocated && (isConnected || ended || IsDisposed))
            {
                keepAlive.Free();
            }
        }

        // ---------------------------------------------------------------- requests

        internal static readonly Func<Response, bool> NoResult = r => true;

        /// <summary>
        /// Sends <paramref name="request"/> (its id is overwritten) and returns a task completed with
        /// the response when it succeeds, or failed with a <see cref="HaptixException"/> carrying the
        /// library's status and message. Advanced: the typed methods cover every request.
        /// </summary>
        public Task<Response> SendAsync(Request request, CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(request, r => r, cancellationToken);
        }

        internal Task<T> SendAsync<T>(Request request, Func<Response, T> map, CancellationToken cancellationToken)
        {
            if (request == null) throw new ArgumentNullException("request");
            ThrowIfDisposed();
            var p = new PendingRequest<T>(map);
            if (cancellationToken.IsCancellationRequested)
            {
                p.Cancel(cancellationToken);
                return p.Task;
            }
            ulong id = (ulong)Interlocked.Increment(ref nextId);
            request.Id = id;
            p.Id = id;
            byte[] bytes = request.ToByteArray();
            lock (gate)
            {
                if (IsDisposed)
                {
                    p.Fail(new ObjectDisposedException("Haptix.Client"));
                    return p.Task;
                }
                pending[id] = p;
                if (!keepAlive.IsAllocated) keepAlive = GCHandle.Alloc(this);
            }
            // Before the send, so that a response taken by any thread finds the registration made.
            if (cancellationToken.CanBeCanceled)
            {
                p.Register(this, id, cancellationToken);
                if (p.Task.IsCompleted) return p.Task; // cancelled meanwhile: not sent
            }
            int status;
            string message = null;
            try
            {
                ulong used;
                status = NativeMethods.haptix_client_send(handle, bytes, (UIntPtr)bytes.Length, out used);
                if (status != 0) message = NativeMethods.LastErrorMessage();
            }
            catch (ObjectDisposedException)
            {
                status = (int)Status.ErrorCancelled;
                message = "the client was disposed";
            }
            if (status != 0)
            {
                lock (gate)
                {
                    Unpend(p);
                    ReleaseKeepAliveLocked();
                }
                p.Fail(SendError(status, message));
                return p.Task;
            }
            // An embedded server often answers during the send: complete the task here and now
            // (it is returned completed, and nobody waits on another thread for it).
            TakeEvents(true, p);
            return p.Task;
        }

        [ThreadStatic] private static Request scratchRequest;
        [ThreadStatic] private static Output scratchOutput;
        [ThreadStatic] private static byte[] scratchBytes;

        /// <summary>
        /// Sends an output command without a task (fire and forget, for a game loop): encodes into
        /// a per-thread buffer and allocates nothing per call. Throws at once when the request
        /// cannot be sent (disposed, disconnected); when the device refuses it, an
        /// <see cref="ErrorReceived"/> event with the library's message follows.
        /// </summary>
        internal void SendOutput(uint device, OutputType type, double level, uint? featureIndex, uint durationMs)
        {
            ThrowIfDisposed();
            var output = scratchOutput ?? (scratchOutput = new Output());
            var request = scratchRequest ?? (scratchRequest = new Request());
            output.DeviceIndex = device;
            output.FeatureIndex = featureIndex;
            output.OutputType = type;
            output.Level = level;
            output.DurationMs = durationMs;
            request.Id = 0;
            request.Output = output;
            int n = ProtoRuntime.EncodeInto(request, ref scratchBytes);
            int status;
            string message = null;
            try
            {
                ulong id;
                status = NativeMethods.haptix_client_send(handle, scratchBytes, (UIntPtr)n, out id);
                if (status != 0) message = NativeMethods.LastErrorMessage();
            }
            catch (ObjectDisposedException)
            {
                throw new ObjectDisposedException("Haptix.Client");
            }
            if (status != 0) throw SendError(status, message);
            // Take the response when it is already there (dropped without allocating on success).
            TakeEvents(true);
        }

        internal void Forget(ulong id)
        {
            lock (gate)
            {
                PendingRequest p;
                if (pending.TryGetValue(id, out p)) Unpend(p);
                ReleaseKeepAliveLocked();
            }
        }

        private static HaptixException SendError(int status, string message)
        {
            if (status == (int)Status.Closed)
            {
                return new HaptixException(Status.ErrorNotConnected, "the client is disconnected");
            }
            return new HaptixException((Status)status, message);
        }

        /// <summary>
        /// Sends <paramref name="request"/> and blocks until its response, through
        /// haptix_client_call: safe on any thread, including inside event handlers. Returns the
        /// response when it succeeded; throws a <see cref="HaptixException"/> with the library's
        /// status and message otherwise. The client's request timeout bounds the wait.
        /// </summary>
        public Response Call(Request request)
        {
            if (request == null) throw new ArgumentNullException("request");
            ThrowIfDisposed();
            if (Volatile.Read(ref callUnavailable) != 0)
            {
                // A library without haptix_client_call: the response is taken on the dispatcher
                // thread when it is not there at the send, so this wait never depends on the
                // caller's thread.
                return Wait(SendAsync(request, r => r, CancellationToken.None));
            }
            request.Id = 0;
            byte[] bytes = request.ToByteArray();
            Interlocked.Increment(ref callsInFlight);
            try
            {
                HaptixBuffer buffer;
                int status;
                try
                {
                    status = NativeMethods.haptix_client_call(handle, bytes, (UIntPtr)bytes.Length, NativeMethods.WaitForever, out buffer);
                }
                catch (EntryPointNotFoundException)
                {
                    Volatile.Write(ref callUnavailable, 1);
                    return Wait(SendAsync(request, r => r, CancellationToken.None));
                }
                catch (ObjectDisposedException)
                {
                    throw new HaptixException(Status.ErrorCancelled, "the client was disposed");
                }
                if (status != 0) throw SendError(status, NativeMethods.LastErrorMessage());
                Proto.Event ev;
                try
                {
                    ev = Proto.Event.Parse(buffer.ToArray());
                }
                finally
                {
                    NativeMethods.haptix_buffer_free(ref buffer);
                }
                var response = ev.Response ?? new Response { Status = (int)Status.ErrorInternal, Message = "the library answered a call without a response" };
                if (response.Status != 0) throw new HaptixException((Status)response.Status, response.Message);
                return response;
            }
            finally
            {
                Interlocked.Decrement(ref callsInFlight);
            }
        }

        // Waits for a task (completed by the thread that took its response, never by user code on
        // the waiting thread) and rethrows its exception unwrapped.
        internal static T Wait<T>(Task<T> task)
        {
            return task.GetAwaiter().GetResult();
        }

        // ---------------------------------------------------------------- the API

        /// <summary>Starts scanning for devices; <see cref="DeviceAdded"/> follows for each one found.</summary>
        public Task StartScanningAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(new Request { StartScanning = new StartScanning() }, NoResult, cancellationToken);
        }

        /// <summary>Starts scanning and waits until the server accepted (any thread).</summary>
        public void StartScanning() { Call(new Request { StartScanning = new StartScanning() }); }

        /// <summary>Stops scanning; <see cref="ScanningFinished"/> follows.</summary>
        public Task StopScanningAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(new Request { StopScanning = new StopScanning() }, NoResult, cancellationToken);
        }

        /// <summary>Stops scanning and waits until the server accepted (any thread).</summary>
        public void StopScanning() { Call(new Request { StopScanning = new StopScanning() }); }

        /// <summary>Asks the server for its device list (the <see cref="Devices"/> property is usually enough).</summary>
        public Task<IReadOnlyList<Proto.Device>> RequestDeviceListAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync<IReadOnlyList<Proto.Device>>(new Request { RequestDeviceList = new RequestDeviceList() },
                r => r.DeviceList == null ? new List<Proto.Device>() : r.DeviceList.Devices, cancellationToken);
        }

        /// <summary>Stops every device's outputs and input subscriptions (or only one of the two).</summary>
        public Task StopAllDevicesAsync(bool inputs = true, bool outputs = true, CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(StopAllRequest(inputs, outputs), NoResult, cancellationToken);
        }

        /// <summary>Same as <see cref="StopAllDevicesAsync"/>.</summary>
        public Task StopAllAsync(bool inputs = true, bool outputs = true, CancellationToken cancellationToken = default(CancellationToken))
        {
            return StopAllDevicesAsync(inputs, outputs, cancellationToken);
        }

        /// <summary>Stops every device and waits until the server accepted (any thread).</summary>
        public void StopAllDevices(bool inputs = true, bool outputs = true) { Call(StopAllRequest(inputs, outputs)); }

        private static Request StopAllRequest(bool inputs, bool outputs)
        {
            var stop = new StopAll();
            if (!inputs) stop.Inputs = false;
            if (!outputs) stop.Outputs = false;
            return new Request { StopAll = stop };
        }

        /// <summary>Pings the server (keeps its ping watchdog satisfied).</summary>
        public Task PingAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(new Request { Ping = new Ping() }, NoResult, cancellationToken);
        }

        /// <summary>Pings the server and waits for the answer (any thread).</summary>
        public void Ping() { Call(new Request { Ping = new Ping() }); }

        /// <summary>Closes the connection (the server stops every device); <see cref="Disconnected"/> follows.</summary>
        public Task DisconnectAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return SendAsync(new Request { Disconnect = new Disconnect() }, NoResult, cancellationToken);
        }

        /// <summary>
        /// Adds a virtual device to the embedded server's simulated bus (found by the current or
        /// next scan); the task gives its address. Embedded server only.
        /// </summary>
        public Task<string> AddSimulatedDeviceAsync(string identifier, string address = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (identifier == null) throw new ArgumentNullException("identifier");
            var request = new Request { AddSimulatedDevice = new AddSimulatedDevice { Device = new Proto.SimulatedDevice { Identifier = identifier, Address = address } } };
            return SendAsync(request, r => r.SimulatedDevice == null ? "" : r.SimulatedDevice.Address, cancellationToken);
        }

        /// <summary>Removes a virtual device; a connected one disconnects.</summary>
        public Task RemoveSimulatedDeviceAsync(string address, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (address == null) throw new ArgumentNullException("address");
            return SendAsync(new Request { RemoveSimulatedDevice = new RemoveSimulatedDevice { Address = address } }, NoResult, cancellationToken);
        }

        /// <summary>Makes a virtual device send a notification on an endpoint (e.g. "rx"), as hardware would.</summary>
        public Task InjectNotificationAsync(string address, string endpoint, byte[] data,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (address == null) throw new ArgumentNullException("address");
            if (endpoint == null) throw new ArgumentNullException("endpoint");
            if (data == null) throw new ArgumentNullException("data");
            var request = new Request { InjectNotification = new InjectNotification { Address = address, Endpoint = endpoint, Data = data } };
            return SendAsync(request, NoResult, cancellationToken);
        }

        /// <summary>Returns and clears what a virtual device received (endpoint and bytes of each write).</summary>
        public Task<IReadOnlyList<Write>> TakeWritesAsync(string address, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (address == null) throw new ArgumentNullException("address");
            return SendAsync<IReadOnlyList<Write>>(new Request { TakeWrites = new TakeWrites { Address = address } }, MapWrites, cancellationToken);
        }

        /// <summary>Returns and clears what a virtual device received, waiting synchronously (any thread).</summary>
        public IReadOnlyList<Write> TakeWrites(string address)
        {
            if (address == null) throw new ArgumentNullException("address");
            return MapWrites(Call(new Request { TakeWrites = new TakeWrites { Address = address } }));
        }

        private static readonly Func<Response, IReadOnlyList<Write>> MapWrites =
            r => r.Writes == null ? new List<Write>() : r.Writes.Writes_;

        // ---------------------------------------------------------------- disposal

        /// <summary>
        /// Closes the connection (the server stops the devices this client drove) and frees the
        /// native client. Pending tasks fail with <see cref="Status.ErrorCancelled"/>; queued events
        /// are dropped. Idempotent; any thread, including an event handler of this client. A client
        /// that owns its context (<see cref="ConnectAsync(string, string, uint, CancellationToken)"/>)
        /// disposes it too.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            if (Volatile.Read(ref callsInFlight) > 0)
            {
                // Synchronous calls keep the handle alive until they return: end the connection so
                // that they return now (cancelled) rather than at their timeout.
                try
                {
                    var bytes = new Request { Disconnect = new Disconnect() }.ToByteArray();
                    ulong id;
                    NativeMethods.haptix_client_send(handle, bytes, (UIntPtr)bytes.Length, out id);
                }
                catch (Exception) { }
            }
            // Fail the pending requests first, so that the cancelled responses and the Disconnected
            // event the library may still deliver while freeing find nothing to complete.
            List<PendingRequest> failed;
            List<Device> gone;
            lock (gate)
            {
                failed = new List<PendingRequest>(pending.Values);
                pending.Clear();
                awaiting = 0;
                gone = new List<Device>(devices.Values);
                devices.Clear();
                queue.Clear();
                isConnected = false;
                if (keepAlive.IsAllocated) keepAlive.Free();
            }
            handle.Dispose();
            connected.TrySetException(new HaptixException(Status.ErrorCancelled, "the client was disposed before it connected"));
            var error = new HaptixException(Status.ErrorCancelled, "the client was disposed before the request completed");
            foreach (var p in failed) p.Fail(error);
            foreach (var d in gone) d.MarkRemoved();
            if (ownsContext) context.Dispose();
        }

        internal void ThrowIfDisposed()
        {
            if (IsDisposed) throw new ObjectDisposedException("Haptix.Client");
        }
    }

    internal abstract class PendingRequest
    {
        /// <summary>The request's id.</summary>
        public ulong Id;

        /// <summary>Its response was not there when its sender looked (guarded by the client's gate).</summary>
        public bool Awaiting;

        /// <summary>False when the task ignores the response's content (it only needs success).</summary>
        public abstract bool NeedsResponse { get; }

        public abstract void Complete(Response response);

        public abstract void Fail(Exception error);
    }

    internal sealed class PendingRequest<T> : PendingRequest
    {
        private readonly TaskCompletionSource<T> source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<Response, T> map;
        private CancellationTokenRegistration registration;

        public PendingRequest(Func<Response, T> map) { this.map = map; }

        public override bool NeedsResponse { get { return (object)map != (object)Client.NoResult; } }

        public Task<T> Task { get { return source.Task; } }

        public void Register(Client client, ulong id, CancellationToken token)
        {
            registration = token.Register(() =>
            {
                client.Forget(id);
                source.TrySetCanceled(token);
            });
        }

        public void Cancel(CancellationToken token) { source.TrySetCanceled(token); }

        public override void Complete(Response response)
        {
            registration.Dispose();
            if (response == null)
            {
                source.TrySetException(new HaptixException(Status.ErrorInternal, "a response without content"));
            }
            else if (response.Status != 0)
            {
                source.TrySetException(new HaptixException((Status)response.Status, response.Message));
            }
            else
            {
                T value;
                try
                {
                    value = map(response);
                }
                catch (Exception e)
                {
                    source.TrySetException(e);
                    return;
                }
                source.TrySetResult(value);
            }
        }

        public override void Fail(Exception error)
        {
            registration.Dispose();
            source.TrySetException(error);
        }
    }
}
