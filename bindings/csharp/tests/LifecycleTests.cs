// Disposal, finalizers, contexts created and shut down in a loop, and remote servers: connecting
// over WebSocket and a server that goes away.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class LifecycleTests
    {
        [Test, Timeout(60000)]
        public void DisposeIsIdempotentEverywhere()
        {
            var context = T.NewContext();
            var client = Client.ConnectEmbedded(context);
            var device = T.FindDevice(client, T.Hush);
            var server = context.StartServer();
            Assert.Greater(server.Port, 0);
            server.Dispose();
            server.Dispose();
            client.Dispose();
            client.Dispose();
            Assert.IsFalse(device.IsConnected);
            Assert.IsFalse(client.IsConnected);
            Assert.Throws<ObjectDisposedException>(() => client.PingAsync());
            context.Dispose();
            context.Dispose();
            Assert.Throws<ObjectDisposedException>(() => Client.ConnectEmbedded(context));
            Assert.Throws<ObjectDisposedException>(() => context.StartServer());
            Assert.AreEqual(0, context.DispatchEvents());
            context.Shutdown();
        }

        [Test, Timeout(60000)]
        public void DisposingAContextDisposesItsClients()
        {
            var context = T.NewContext();
            var client = Client.ConnectEmbedded(context);
            context.Dispose();
            Assert.IsTrue(client.IsDisposed);
            Assert.Throws<ObjectDisposedException>(() => client.Ping());
        }

        [Test, Timeout(60000)]
        public void DisposeDuringPendingRequestsFailsThemAsCancelled()
        {
            // A server that never answers a Ping keeps every request pending (the embedded
            // server answers so fast that requests may all be done before Dispose).
            using (var server = new ScriptedServer((name, id) => name == "Ping" ? ScriptedServer.NoReply : null))
            using (var context = new Context())
            {
                var connect = Client.ConnectAsync(context, server.Url, "scripted");
                T.Done(connect, "connect to the scripted server");
                var client = connect.Result;
                var tasks = new List<Task>();
                for (int i = 0; i < 200; i++)
                {
                    tasks.Add(client.PingAsync());
                }
                server.WaitFor("Ping");
                Assert.That(tasks.All(t => !t.IsCompleted), "a ping completed although the server answers none");
                client.Dispose();
                T.Completes(Task.WhenAll(tasks), "every pending request");
                foreach (var t in tasks)
                {
                    Assert.IsTrue(t.IsFaulted, t.Status.ToString());
                    var e = t.Exception.GetBaseException() as HaptixException;
                    Assert.IsNotNull(e, t.Exception.ToString());
                    Assert.AreEqual(Status.ErrorCancelled, e.Status);
                }
            }
        }

        [Test, Timeout(60000)]
        public void DisposeDuringSynchronousCallsEndsThem()
        {
            using (var context = T.NewContext())
            {
                var client = Client.ConnectEmbedded(context);
                var device = T.FindDevice(client, T.Hush);
                Exception ended = null;
                int calls = 0;
                var started = new ManualResetEventSlim();
                var thread = new Thread(() =>
                {
                    try
                    {
                        while (true)
                        {
                            device.Vibrate(0.5);
                            client.Ping();
                            calls++;
                            started.Set();
                        }
                    }
                    catch (Exception e)
                    {
                        ended = e;
                        started.Set();
                    }
                });
                thread.Start();
                Assert.IsTrue(started.Wait(T.HangGuardMs));
                client.Dispose();
                Assert.IsTrue(thread.Join(T.HangGuardMs), "hang guard: a synchronous call outlived Dispose");
                Assert.That(ended is ObjectDisposedException || ended is HaptixException, "" + ended);
                Assert.Greater(calls, 0);
            }
        }

        // On a thread of its own, which then ends: Mono scans stacks conservatively, so a client
        // referenced from a live stack slot could stay reachable.
        private static void LeaveClients(Context context, int count, List<WeakReference> refs)
        {
            var thread = new Thread(() =>
            {
                for (int i = 0; i < count; i++)
                {
                    var c = Client.ConnectEmbedded(context, "left to the finalizer");
                    if (i % 2 == 0) c.PingAsync();
                    refs.Add(new WeakReference(c));
                }
            });
            thread.Start();
            Assert.IsTrue(thread.Join(T.HangGuardMs * 4), "hang guard: creating clients");
        }

        private static void CollectUntil(Func<bool> done, string what)
        {
            var watch = Stopwatch.StartNew();
            while (!done())
            {
                if (watch.ElapsedMilliseconds > 60000) Assert.Fail("hang guard: " + what);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Thread.Sleep(10);
            }
        }

        [Test, Timeout(240000)]
        public void AThousandClientsLeftToTheFinalizerAreAllFreed()
        {
            // The bounds: Mono's conservative stack scanning may keep a handful of clients reachable
            // for a while (at most 5 of 1000 here); after the first thousand, another thousand may
            // grow the managed heap by at most 8 MB and the process by at most 64 MB.
            const int Retained = 5;
            const long ManagedBound = 8L << 20, ProcessBound = 64L << 20;
            using (var context = T.NewContext())
            {
                long released = Client.ReleasedRegistrations;
                var refs = new List<WeakReference>();
                LeaveClients(context, 1000, refs);
                CollectUntil(() => Client.ReleasedRegistrations - released >= 1000 - Retained, "the finalizer frees 1000 clients");
                CollectUntil(() => refs.Count(r => r.IsAlive) <= Retained, "1000 clients collected");
                long managed = GC.GetTotalMemory(true);
                long process = Process.GetCurrentProcess().WorkingSet64;
                refs.Clear();
                LeaveClients(context, 1000, refs);
                CollectUntil(() => Client.ReleasedRegistrations - released >= 2000 - 2 * Retained, "the finalizer frees 1000 more");
                CollectUntil(() => refs.Count(r => r.IsAlive) <= Retained, "1000 more collected");
                long managedGrowth = GC.GetTotalMemory(true) - managed;
                long processGrowth = Process.GetCurrentProcess().WorkingSet64 - process;
                Console.WriteLine("finalizer stress: managed heap +" + managedGrowth / 1024 + " KB, process +" + processGrowth / 1024 + " KB for the second thousand");
                Assert.Less(managedGrowth, ManagedBound);
                Assert.Less(processGrowth, ProcessBound);
                // The context still works.
                using (var c = Client.ConnectEmbedded(context)) c.Ping();
            }
        }

        [Test, Timeout(240000)]
        public void AContextIsShutDownAndCreatedAgainAHundredTimes()
        {
            for (int i = 0; i < 100; i++)
            {
                using (var context = T.NewContext())
                using (var client = Client.ConnectEmbedded(context))
                {
                    bool disconnected = false;
                    client.Disconnected += (s, e) => disconnected = true;
                    client.Ping();
                    var pending = client.PingAsync();
                    context.Shutdown();
                    T.Completes(pending, "a ping across shutdown");
                    T.WaitUntil(() => disconnected, "Disconnected after shutdown (round " + i + ")", client);
                    Assert.Throws<HaptixException>(() => client.Ping());
                    var status = T.Fails<HaptixException>(() => client.PingAsync(), "ping after shutdown").Status;
                    Assert.That(status == Status.ErrorShutDown || status == Status.ErrorNotConnected, status.ToString());
                }
            }
        }

        [Test, Timeout(60000)]
        public void ConnectsOverWebSocketToAServerOfASecondContext()
        {
            using (var devices = T.NewContext())
            using (var server = devices.StartServer("127.0.0.1:0"))
            using (var local = new Context())
            {
                var task = Client.ConnectAsync(local, server.Url, "remote C# client");
                T.Done(task, "connect over WebSocket");
                using (var remote = ((Task<Client>)task).Result)
                using (var observer = Client.ConnectEmbedded(devices))
                {
                    Assert.IsTrue(remote.IsConnected);
                    Assert.AreEqual("Haptix", remote.ServerName);
                    remote.StartScanning();
                    T.WaitUntil(() => remote.Devices.Count == 1, "the remote device", remote);
                    var hush = remote.Devices[0];
                    Assert.AreEqual("Lovense Hush", hush.Name);
                    Assert.AreEqual("", hush.Address, "a remote server does not tell addresses");
                    T.ClearWrites(observer, T.Hush);
                    T.Done(hush.VibrateAsync(0.5), "remote vibrate");
                    CollectionAssert.AreEqual(new[] { "tx Vibrate:10;" }, T.Writes(observer, T.Hush));
                    Assert.AreEqual(0.85, hush.Battery(), 1e-9);
                }
            }
        }

        [Test, Timeout(60000)]
        public void AServerThatGoesAwayGivesDisconnectedAndFailedTasks()
        {
            var devices = T.NewContext();
            var server = devices.StartServer();
            using (var local = new Context())
            {
                var connect = Client.ConnectAsync(local, server.Url);
                T.Done(connect, "connect");
                using (var remote = connect.Result)
                {
                    DisconnectedEventArgs gone = null;
                    remote.Disconnected += (s, e) => gone = e;
                    remote.StartScanning();
                    T.WaitUntil(() => remote.Devices.Count == 1, "the remote device", remote);
                    var hush = remote.Devices[0];
                    var tasks = new List<Task>();
                    for (int i = 0; i < 50; i++) tasks.Add(hush.VibrateAsync(0.5));
                    devices.Dispose();
                    for (int i = 0; i < 50; i++) tasks.Add(remote.PingAsync());
                    T.Completes(Task.WhenAll(tasks), "requests across the server's end");
                    foreach (var t in tasks.Where(t => !t.IsCompleted || t.IsFaulted))
                    {
                        Assert.IsInstanceOf<HaptixException>(t.Exception.GetBaseException());
                    }
                    // The pings sent once the server was gone all failed (none hangs, none succeeds).
                    Assert.IsTrue(tasks.Skip(50).All(t => t.IsFaulted), string.Join(", ", tasks.Skip(50).Select(t => t.Status)));
                    T.WaitUntil(() => gone != null, "Disconnected", remote);
                    Assert.AreNotEqual(Status.Ok, gone.Status);
                    Assert.IsFalse(remote.IsConnected);
                    Assert.IsFalse(hush.IsConnected);
                    Assert.Throws<HaptixException>(() => remote.Ping());
                    Assert.AreEqual(Status.ErrorNotConnected, T.Fails<HaptixException>(() => hush.VibrateAsync(0.1), "vibrate after the end").Status);
                }
            }
            server.Dispose();
        }

        [Test, Timeout(60000)]
        public void AClientWithItsOwnContextDisposesIt()
        {
            using (var devices = T.NewContext())
            using (var server = devices.StartServer())
            {
                var connect = Client.ConnectAsync(server.Url);
                T.Done(connect, "connect");
                var client = connect.Result;
                client.Ping();
                client.Dispose();
                Assert.IsTrue(client.Context.IsDisposed);
            }
        }

        [Test, Timeout(60000)]
        public void CancellingAConnectionDisposesTheClient()
        {
            using (var local = new Context())
            {
                var cts = new CancellationTokenSource();
                // Nothing answers on this port's handshake quickly enough to beat the cancel below,
                // or the connection fails: both end the task, neither hangs.
                var task = Client.ConnectAsync(local, "ws://127.0.0.1:9", cancellationToken: cts.Token);
                cts.Cancel();
                T.Completes(task, "a cancelled connection");
                Assert.IsTrue(task.IsCanceled || task.IsFaulted);
            }
        }
    }
}
