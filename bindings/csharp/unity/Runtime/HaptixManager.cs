using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using UnityEngine;

namespace Haptix.Unity
{
    /// <summary>
    /// Owns one Haptix <see cref="Haptix.Context"/> and <see cref="Haptix.Client"/> for a play
    /// session and pumps their events on Unity's main thread from <c>Update()</c> (poll mode: no
    /// managed code of yours runs on another thread). Add it to one GameObject of the first scene.
    /// </summary>
    /// <remarks>
    /// The context is shut down (every device stopped) and freed when the component is destroyed,
    /// on <c>Application.quitting</c>, when the editor leaves play mode and before an assembly
    /// reload (see HaptixEditorHooks); the next Play creates a new one. Subscribe to the
    /// <see cref="Client"/>'s events (<c>DeviceAdded</c>, ...) from <see cref="Connected"/> or
    /// after <see cref="IsReady"/> turned true: handlers run on the main thread during
    /// <c>Update()</c> and may call any method, including the synchronous ones.
    /// </remarks>
    [DisallowMultipleComponent]
    [DefaultExecutionOrder(-1000)]
    [AddComponentMenu("Haptix/Haptix Manager")]
    public sealed class HaptixManager : MonoBehaviour
    {
        private static readonly List<HaptixManager> Live = new List<HaptixManager>();

        [Header("Server")]
        [Tooltip("Empty: the embedded server (devices of this process). Else a Buttplug server URL, e.g. ws://127.0.0.1:12345 (Intiface Central).")]
        [SerializeField] private string serverUrl = "";

        [Tooltip("Client name sent in the handshake.")]
        [SerializeField] private string clientName = "Haptix Unity client";

        [Tooltip("Start scanning for devices once connected.")]
        [SerializeField] private bool scanOnConnect = true;

        [Header("Embedded server")]
        [Tooltip("Simulated devices, by identifier (e.g. LVS-Hush): handy without hardware.")]
        [SerializeField] private string[] simulatedDevices = new string[0];

        [Tooltip("Watch Bluetooth LE, serial and HID buses for real hardware (the simulated bus is always on).")]
        [SerializeField] private bool useHardwareBuses = false;

        [Tooltip("Library log level forwarded to the Unity console.")]
        [SerializeField] private LogLevel logLevel = LogLevel.Warn;

        [Tooltip("Keep the manager (and the connection) across scene loads.")]
        [SerializeField] private bool dontDestroyOnLoad = true;

        private Context context;
        private Client client;
        private Task<Client> connecting;

        /// <summary>The manager of the current play session, or null.</summary>
        public static HaptixManager Instance { get; private set; }

        /// <summary>The context of this session (null after shutdown).</summary>
        public Context Context { get { return context; } }

        /// <summary>The connected client, or null while connecting and after shutdown.</summary>
        public Client Client { get { return client; } }

        /// <summary>True once the client is connected.</summary>
        public bool IsReady { get { return client != null && client.IsConnected; } }

        /// <summary>Raised on the main thread once the client is connected.</summary>
        public event Action<Client> Connected;

        /// <summary>Raised on the main thread when connecting failed.</summary>
        public event Action<Exception> ConnectFailed;

        private void Awake()
        {
            if (Instance != null && Instance != this)
            {
                Debug.LogWarning("Haptix: a second HaptixManager was destroyed; keep one per session.");
                Destroy(this);
                return;
            }
            Instance = this;
            if (dontDestroyOnLoad) DontDestroyOnLoad(gameObject);
        }

        private void OnEnable()
        {
            if (Instance != this) return;
            lock (Live) Live.Add(this);
            Application.quitting += Shutdown;
            StartSession();
        }

        private void StartSession()
        {
            if (context != null) return;
            try
            {
                var options = new ContextOptions { LogLevel = logLevel };
                foreach (var id in simulatedDevices)
                {
                    if (!string.IsNullOrEmpty(id)) options.SimulatedDevices.Add(new SimulatedDevice(id));
                }
                if (useHardwareBuses)
                {
                    options.Buses.Add(CommManager.Simulated);
                    options.Buses.Add(CommManager.BluetoothLe);
                    options.Buses.Add(CommManager.Serial);
                    options.Buses.Add(CommManager.Hid);
                }
                context = new Context(options);
                context.Log += OnLog;
                connecting = string.IsNullOrEmpty(serverUrl)
                    ? Client.ConnectEmbeddedAsync(context, clientName)
                    : Client.ConnectAsync(context, serverUrl, clientName);
            }
            catch (Exception e)
            {
                Debug.LogException(e);
                Shutdown();
            }
        }

        private void Update()
        {
            if (context == null) return;
            context.DispatchEvents();
            if (connecting != null && connecting.IsCompleted)
            {
                var task = connecting;
                connecting = null;
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    client = task.Result;
                    var handler = Connected;
                    if (handler != null) handler(client);
                    if (scanOnConnect) client.StartScanningAsync();
                }
                else
                {
                    Exception error = task.Exception != null ? task.Exception.GetBaseException() : new OperationCanceledException();
                    Debug.LogError("Haptix: connecting failed: " + error.Message);
                    var handler = ConnectFailed;
                    if (handler != null) handler(error);
                }
            }
            if (client != null) client.DispatchEvents();
        }

        private void OnLog(object sender, LogEventArgs e)
        {
            string text = "Haptix " + e.Target + ": " + e.Message;
            switch (e.Level)
            {
                case LogLevel.Error: Debug.LogError(text); break;
                case LogLevel.Warn:
                case LogLevel.Unspecified: Debug.LogWarning(text); break;
                default: Debug.Log(text); break;
            }
        }

        private void OnDisable()
        {
            Shutdown();
        }

        private void OnDestroy()
        {
            Shutdown();
            if (Instance == this) Instance = null;
        }

        /// <summary>
        /// Stops every device and frees the client and the context. Idempotent; called for you on
        /// quitting, leaving play mode, assembly reload and destruction. Main thread.
        /// </summary>
        public void Shutdown()
        {
            Application.quitting -= Shutdown;
            lock (Live) Live.Remove(this);
            var c = client;
            var ctx = context;
            client = null;
            context = null;
            connecting = null;
            try
            {
                if (c != null) c.Dispose();
                if (ctx != null)
                {
                    ctx.Shutdown(1000);
                    ctx.Dispose();
                }
            }
            catch (Exception e)
            {
                Debug.LogException(e);
            }
        }

        /// <summary>
        /// Shuts down every live manager. The editor hooks call it when play mode ends and before
        /// an assembly reload, so that no native thread outlives the managed code it calls.
        /// </summary>
        public static void ShutdownAll()
        {
            HaptixManager[] managers;
            lock (Live) managers = Live.ToArray();
            foreach (var m in managers) m.Shutdown();
            Instance = null;
        }

        // With "Enter Play Mode Options" (no domain reload) statics survive between sessions.
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        private static void ResetStatics()
        {
            ShutdownAll();
        }
    }
}
