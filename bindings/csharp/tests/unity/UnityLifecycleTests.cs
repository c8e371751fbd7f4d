// The Unity package's HaptixManager driven the way Unity drives it (Awake, OnEnable, Update once
// per frame, the editor hooks' ShutdownAll when play mode ends, OnDisable, OnDestroy), compiled
// against tests/unity-stubs instead of UnityEngine: press Play, find the simulated toy, make it
// vibrate from a "button", stop, press Play again; no crash, no hang, no leaked native thread.
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using Haptix;
using Haptix.Unity;
using NUnit.Framework;

namespace Haptix.Unity.Tests
{
    [TestFixture]
    public class UnityLifecycleTests
    {
        private const int HangGuardMs = 30000;
        private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;

        private static void Message(HaptixManager m, string name)
        {
            typeof(HaptixManager).GetMethod(name, Private).Invoke(m, null);
        }

        private static HaptixManager Play()
        {
            var m = new HaptixManager();
            typeof(HaptixManager).GetField("simulatedDevices", Private).SetValue(m, new[] { "LVS-Hush" });
            Message(m, "Awake");
            Message(m, "OnEnable");
            return m;
        }

        private static void Frames(HaptixManager m, Func<bool> until, string what)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(HangGuardMs);
            while (!until())
            {
                if (DateTime.UtcNow > deadline) Assert.Fail("hang guard: " + what);
                Message(m, "Update");
                Thread.Sleep(5);
            }
        }

        /// <summary>Native threads of the library in this process (Linux names them), or -1 elsewhere.</summary>
        private static int LibraryThreads()
        {
            if (!Directory.Exists("/proc/self/task")) return -1;
            int n = 0;
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("haptix-")) n++;
                }
                catch (IOException)
                {
                }
            }
            return n;
        }

        [Test, Timeout(120000)]
        public void PlayVibrateStopAndPlayAgain()
        {
            int threadsBefore = LibraryThreads();
            for (int session = 0; session < 3; session++)
            {
                var manager = Play();
                Assert.AreSame(manager, HaptixManager.Instance);
                Client connected = null;
                manager.Connected += c => connected = c;
                Frames(manager, () => manager.IsReady && manager.Client.Devices.Count == 1, "the simulated toy is found (session " + session + ")");
                Assert.AreSame(manager.Client, connected);
                var toy = manager.Client.Devices[0];
                Assert.AreEqual("Lovense Hush", toy.Name);
                if (threadsBefore >= 0) Assert.Greater(LibraryThreads(), threadsBefore, "the session's native threads are not visible");
                Thread.Sleep(50);
                manager.Client.TakeWrites(toy.Address);
                // The button: a handler on the main thread.
                toy.VibrateAsync(0.5).Wait();
                var writes = manager.Client.TakeWrites(toy.Address);
                for (int i = 0; i < 100 && writes.Count == 0; i++)
                {
                    Thread.Sleep(10);
                    writes = manager.Client.TakeWrites(toy.Address);
                }
                CollectionAssert.AreEqual(new[] { "Vibrate:10;" }, writes.Select(w => System.Text.Encoding.ASCII.GetString(w.Data)));
                var client = manager.Client;
                var context = manager.Context;
                // Stop play mode: the editor hook, then Unity's own messages.
                HaptixManager.ShutdownAll();
                Message(manager, "OnDisable");
                Message(manager, "OnDestroy");
                Assert.IsNull(HaptixManager.Instance);
                Assert.IsNull(manager.Context);
                Assert.IsTrue(client.IsDisposed);
                Assert.IsTrue(context.IsDisposed);
                Assert.IsFalse(toy.IsConnected);
            }
            if (threadsBefore >= 0)
            {
                var deadline = DateTime.UtcNow.AddMilliseconds(HangGuardMs);
                while (LibraryThreads() > threadsBefore)
                {
                    if (DateTime.UtcNow > deadline) Assert.Fail("native threads left behind: " + LibraryThreads() + " (before: " + threadsBefore + ")");
                    Thread.Sleep(20);
                }
            }
        }

        [Test, Timeout(60000)]
        public void QuittingShutsTheSessionDown()
        {
            var manager = Play();
            Frames(manager, () => manager.IsReady, "connected");
            var context = manager.Context;
            // Raise UnityEngine.Application.quitting as Unity does when the player quits.
            var field = typeof(UnityEngine.Application).GetField("quitting", BindingFlags.NonPublic | BindingFlags.Static);
            ((Action)field.GetValue(null)).Invoke();
            Assert.IsNull(manager.Context);
            Assert.IsTrue(context.IsDisposed);
            Message(manager, "OnDisable");
            Message(manager, "OnDestroy");
            Assert.IsNull(field.GetValue(null), "the manager is still subscribed to Application.quitting");
        }

        /// <summary>Raises a static event of the stubs the way Unity would.</summary>
        private static void RaiseStatic(Type type, string name, params object[] args)
        {
            var handlers = (Delegate)type.GetField(name, BindingFlags.NonPublic | BindingFlags.Static).GetValue(null);
            Assert.IsNotNull(handlers, type.Name + "." + name + " has no handler");
            handlers.DynamicInvoke(args);
        }

        [Test, Timeout(60000)]
        public void TheEditorHooksShutTheSessionDown()
        {
            // Unity runs an [InitializeOnLoad] class's static constructor when the editor loads.
            System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Haptix.Unity.Editor.HaptixEditorHooks).TypeHandle);
            var editor = typeof(UnityEditor.EditorApplication);
            var reload = typeof(UnityEditor.AssemblyReloadEvents);
            var cases = new Action[]
            {
                () => RaiseStatic(editor, "playModeStateChanged", UnityEditor.PlayModeStateChange.ExitingPlayMode),
                () => RaiseStatic(reload, "beforeAssemblyReload"),
                () => RaiseStatic(editor, "quitting"),
            };
            foreach (var hook in cases)
            {
                var manager = Play();
                Frames(manager, () => manager.IsReady, "connected");
                var context = manager.Context;
                // Entering play mode leaves the session alone.
                RaiseStatic(editor, "playModeStateChanged", UnityEditor.PlayModeStateChange.EnteredPlayMode);
                Assert.AreSame(context, manager.Context);
                hook();
                Assert.IsNull(manager.Context);
                Assert.IsTrue(context.IsDisposed);
                Assert.IsNull(HaptixManager.Instance);
                Message(manager, "OnDisable");
                Message(manager, "OnDestroy");
            }
        }

        [Test, Timeout(60000)]
        public void ASecondManagerIsRefused()
        {
            var first = Play();
            var second = new HaptixManager();
            Message(second, "Awake");
            Message(second, "OnEnable");
            Assert.AreSame(first, HaptixManager.Instance);
            Assert.IsNull(second.Context);
            HaptixManager.ShutdownAll();
            Message(first, "OnDestroy");
            Message(second, "OnDestroy");
        }

        [Test, Timeout(60000)]
        public void AnUnreachableServerReportsConnectFailed()
        {
            var m = new HaptixManager();
            typeof(HaptixManager).GetField("serverUrl", Private).SetValue(m, "ws://127.0.0.1:9");
            Exception failed = null;
            m.ConnectFailed += e => failed = e;
            Message(m, "Awake");
            Message(m, "OnEnable");
            Frames(m, () => failed != null, "ConnectFailed");
            Assert.IsInstanceOf<HaptixException>(failed);
            Assert.IsFalse(m.IsReady);
            Message(m, "OnDisable");
            Message(m, "OnDestroy");
        }
    }
}
