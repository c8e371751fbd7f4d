// docs/event-model.md from C#: handlers may wait on tasks and call synchronous APIs without
// deadlock, in poll mode (DispatchEvents) and with the background pump; events keep their order;
// disposal from inside a handler; events consumed while 8 threads send.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class EventModelTests
    {
        private Context context;
        private Client client;

        [SetUp]
        public void SetUp()
        {
            context = T.NewContext();
            client = Client.ConnectEmbedded(context, "C# event model tests");
        }

        [TearDown]
        public void TearDown()
        {
            client.Dispose();
            context.Dispose();
        }

        /// <summary>Everything a handler may do that waits for a response.</summary>
        private static string WaitEverywayInside(Client c, Device device)
        {
            device.VibrateAsync(0.5).Wait();
            double battery = device.BatteryAsync().Result;
            device.Vibrate(0.25);
            c.Ping();
            c.PingAsync().GetAwaiter().GetResult();
            var writes = c.TakeWrites(device.Address);
            device.StopAsync().Wait();
            return "battery " + battery + ", " + writes.Count + " writes";
        }

        [Test, Timeout(60000)]
        public void AHandlerMayWaitInPollMode()
        {
            string result = null;
            Exception error = null;
            client.DeviceAdded += (s, e) =>
            {
                try { result = WaitEverywayInside(client, e.Device); }
                catch (Exception x) { error = x; }
            };
            client.StartScanning();
            T.WaitUntil(() => result != null || error != null, "the handler finished", client);
            Assert.IsNull(error, "" + error);
            StringAssert.StartsWith("battery 0.85", result);
        }

        [Test, Timeout(60000)]
        public void AHandlerMayWaitWithTheBackgroundPump()
        {
            using (var sync = new SingleThreadContext())
            {
                var done = new ManualResetEventSlim();
                string result = null;
                Exception error = null;
                int thread = 0;
                client.DeviceAdded += (s, e) =>
                {
                    thread = Thread.CurrentThread.ManagedThreadId;
                    try { result = WaitEverywayInside(client, e.Device); }
                    catch (Exception x) { error = x; }
                    done.Set();
                };
                client.StartEventPump(sync);
                client.StartScanning();
                Assert.IsTrue(done.Wait(T.HangGuardMs), "hang guard: the handler did not finish (deadlock?)");
                Assert.IsNull(error, "" + error);
                StringAssert.StartsWith("battery 0.85", result);
                Assert.AreEqual(sync.ThreadId, thread, "the handler did not run on the SynchronizationContext");
                client.StopEventPump();
            }
        }

        [Test, Timeout(60000)]
        public void AnAwaitingHandlerResumesOnTheSynchronizationContext()
        {
            using (var sync = new SingleThreadContext())
            {
                var done = new ManualResetEventSlim();
                var threads = new List<int>();
                client.DeviceAdded += async (s, e) =>
                {
                    threads.Add(Thread.CurrentThread.ManagedThreadId);
                    await e.Device.VibrateAsync(0.5);
                    threads.Add(Thread.CurrentThread.ManagedThreadId);
                    await client.PingAsync();
                    threads.Add(Thread.CurrentThread.ManagedThreadId);
                    done.Set();
                };
                client.StartEventPump(sync);
                client.StartScanning();
                Assert.IsTrue(done.Wait(T.HangGuardMs), "hang guard: the async handler did not finish");
                CollectionAssert.AreEqual(new[] { sync.ThreadId, sync.ThreadId, sync.ThreadId }, threads);
            }
        }

        [Test, Timeout(60000)]
        public void TheThreadPoolPumpDeliversInOrderOneAtATime()
        {
            var log = new ConcurrentQueue<string>();
            int inside = 0, overlap = 0;
            Action<string> record = what =>
            {
                if (Interlocked.Increment(ref inside) > 1) Interlocked.Increment(ref overlap);
                log.Enqueue(what);
                Thread.Sleep(1);
                Interlocked.Decrement(ref inside);
            };
            client.DeviceAdded += (s, e) => record(e.Device.Address + "+");
            client.DeviceRemoved += (s, e) => record(e.Device.Address + "-");
            client.StartEventPump(new SynchronizationContext());
            client.StartScanning();
            for (int i = 0; i < 10; i++)
            {
                var address = "pool-" + i;
                T.Done(client.AddSimulatedDeviceAsync("LVS-Hush", address), "add");
                T.WaitUntil(() => client.Devices.Any(d => d.Address == address), address + " connected");
                T.Done(client.RemoveSimulatedDeviceAsync(address), "remove");
            }
            T.WaitUntil(() => log.Count(x => x.StartsWith("pool-")) == 20, "twenty device events");
            Assert.AreEqual(0, overlap, "two handlers ran at once");
            var events = log.Where(x => x.StartsWith("pool-")).ToList();
            for (int i = 0; i < 10; i++)
            {
                int added = events.IndexOf("pool-" + i + "+");
                int removed = events.FindIndex(x => x.StartsWith("pool-" + i + "-"));
                Assert.That(added >= 0 && removed > added, "pool-" + i + ": " + string.Join(" ", events));
            }
        }

        [Test, Timeout(60000)]
        public void AHandlerMayDisposeItsClient()
        {
            int calls = 0;
            client.DeviceAdded += (s, e) =>
            {
                calls++;
                client.Dispose();
                client.Dispose();
            };
            client.StartScanning();
            T.Done(client.AddSimulatedDeviceAsync("LVS-Hush", "second"), "add a second device");
            T.WaitUntil(() => client.Devices.Count == 2 || client.PendingEventCount >= 2, "two devices");
            client.DispatchEvents();
            Assert.AreEqual(1, calls, "events were delivered after the handler disposed the client");
            Assert.IsTrue(client.IsDisposed);
            Assert.AreEqual(0, client.DispatchEvents());
            Assert.Throws<ObjectDisposedException>(() => client.Ping());
        }

        [Test, Timeout(60000)]
        public void AHandlerOnTheBackgroundPumpMayDisposeItsClient()
        {
            var done = new ManualResetEventSlim();
            client.DeviceAdded += (s, e) =>
            {
                client.Dispose();
                done.Set();
            };
            client.StartEventPump(new SynchronizationContext());
            client.StartScanning();
            Assert.IsTrue(done.Wait(T.HangGuardMs), "hang guard: no DeviceAdded");
            Assert.IsTrue(client.IsDisposed);
        }

        [Test, Timeout(60000)]
        public void AThrowingHandlerPropagatesFromDispatchEventsAndKeepsTheRest()
        {
            int second = 0;
            client.DeviceAdded += (s, e) => { throw new InvalidOperationException("handler bug"); };
            client.StartScanning();
            T.Done(client.AddSimulatedDeviceAsync("LVS-Hush", "second"), "add");
            T.WaitUntil(() => client.PendingEventCount >= 2, "two queued events");
            Assert.Throws<InvalidOperationException>(() => client.DispatchEvents());
            client.ErrorReceived += (s, e) => second++;
            Assert.Throws<InvalidOperationException>(() => client.DispatchEvents());
            Assert.AreEqual(0, client.PendingEventCount);
        }

        [Test, Timeout(60000)]
        public void AThrowingHandlerOnTheBackgroundPumpIsReportedAndDeliveryGoesOn()
        {
            var reported = new ConcurrentQueue<Exception>();
            var seen = new ConcurrentQueue<string>();
            client.HandlerException += (s, e) => reported.Enqueue((Exception)e.ExceptionObject);
            client.DeviceAdded += (s, e) =>
            {
                seen.Enqueue(e.Device.Address);
                if (e.Device.Address == T.Hush) throw new InvalidOperationException("handler bug");
            };
            client.StartEventPump(new SynchronizationContext());
            client.StartScanning();
            T.Done(client.AddSimulatedDeviceAsync("LVS-Hush", "after-the-bug"), "add");
            T.WaitUntil(() => seen.Contains("after-the-bug"), "the event after the throwing handler");
            T.WaitUntil(() => reported.Count == 1, "HandlerException");
            Assert.IsInstanceOf<InvalidOperationException>(reported.Single());
        }

        [Test, Timeout(60000)]
        public void AnOutputTaskOfTheEmbeddedServerIsCompletedOnTheSendingThread()
        {
            // The embedded server answers an output during the send when nothing else of the client
            // is queued: the sending thread takes the response itself, so the task comes back
            // completed and .Wait() or await costs no thread switch.
            var hush = T.FindDevice(client, T.Hush);
            client.Ping();
            int completed = 0;
            for (int i = 0; i < 20; i++)
            {
                var task = hush.VibrateAsync((i & 1) == 0 ? 0.3 : 0.6);
                if (task.Status == TaskStatus.RanToCompletion) completed++;
                T.Done(task, "vibrate " + i);
            }
            Assert.AreEqual(20, completed, "tasks returned before their response was taken");
        }

        [Test, Timeout(60000)]
        public void ATaskWhoseResponseComesLaterCompletesWithNobodyPolling()
        {
            // A battery read is answered by the device, after the send: the notifier takes the
            // response, although this thread never dispatches and only waits.
            var hush = T.FindDevice(client, T.Hush);
            for (int i = 0; i < 20; i++)
            {
                var battery = hush.BatteryAsync();
                Assert.IsTrue(((IAsyncResult)battery).AsyncWaitHandle.WaitOne(T.HangGuardMs), "hang guard: battery " + i);
                Assert.AreEqual(0.85, battery.Result, 1e-9);
            }
            var elsewhere = Task.Run(() => hush.BatteryAsync().Result);
            T.Done(elsewhere, "a battery read waited for on a pool thread");
            Assert.AreEqual(0.85, elsewhere.Result, 1e-9);
        }

        [Test, Timeout(120000)]
        public void EventsKeepTheirOrderWhicheverThreadTakesThem()
        {
            // Four threads send (and so take events) while devices come and go; the device list is
            // read without dispatching; DispatchEvents then raises every event in the library's order.
            var hush = T.FindDevice(client, T.Hush);
            client.DispatchEvents();
            var log = new List<string>();
            client.DeviceAdded += (s, e) => log.Add(e.Device.Address + "+");
            client.DeviceRemoved += (s, e) => log.Add(e.Device.Address + "-");
            var errors = new ConcurrentQueue<Exception>();
            int stop = 0;
            var threads = Enumerable.Range(0, 4).Select(n => new Thread(() =>
            {
                try
                {
                    for (int i = 0; Volatile.Read(ref stop) == 0; i++)
                    {
                        hush.VibrateAsync((i & 1) == 0 ? 0.2 : 0.4).Wait();
                        client.PingAsync().Wait();
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            var expected = new List<string>();
            for (int i = 0; i < 10; i++)
            {
                var address = "order-" + i;
                T.Done(client.AddSimulatedDeviceAsync("LVS-Hush", address), "add " + address);
                T.WaitUntil(() => client.Devices.Any(d => d.Address == address), address + " in the device list");
                T.Done(client.RemoveSimulatedDeviceAsync(address), "remove " + address);
                T.WaitUntil(() => client.Devices.All(d => d.Address != address), address + " gone from the device list");
                expected.Add(address + "+");
                expected.Add(address + "-");
            }
            Volatile.Write(ref stop, 1);
            foreach (var t in threads) Assert.IsTrue(t.Join(T.HangGuardMs), "hang guard: a sending thread");
            Assert.IsEmpty(errors, string.Join("\n", errors));
            client.DispatchEvents();
            CollectionAssert.AreEqual(expected, log.Where(x => x.StartsWith("order-")).ToList());
        }

        [Test, Timeout(120000)]
        public void EventsAreConsumedWhileEightThreadsSend()
        {
            var hush = T.FindDevice(client, T.Hush);
            client.DispatchEvents();
            var added = new List<string>();
            client.DeviceAdded += (s, e) => added.Add(e.Device.Address);
            var errors = new ConcurrentQueue<Exception>();
            var tasks = new ConcurrentQueue<Task>();
            int syncCalls = 0;
            var threads = Enumerable.Range(0, 8).Select(n => new Thread(() =>
            {
                try
                {
                    for (int i = 0; i < 100; i++)
                    {
                        tasks.Enqueue(hush.VibrateAsync((i % 10) / 10.0));
                        tasks.Enqueue(client.PingAsync());
                        if (i % 10 == 0)
                        {
                            client.Ping();
                            hush.Vibrate(0.1);
                            Interlocked.Add(ref syncCalls, 2);
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            var adds = new List<Task>();
            for (int i = 0; i < 5; i++)
            {
                adds.Add(client.AddSimulatedDeviceAsync("LVS-Hush", "busy-" + i));
                client.DispatchEvents();
            }
            T.WaitUntil(() => added.Count(a => a.StartsWith("busy-")) == 5, "five DeviceAdded events while sending", client);
            foreach (var t in threads) Assert.IsTrue(t.Join(T.HangGuardMs), "hang guard: a sending thread");
            Assert.IsEmpty(errors, string.Join("\n", errors));
            T.Done(Task.WhenAll(tasks.Concat(adds)), "every request");
            Assert.AreEqual(1600, tasks.Count);
            Assert.IsTrue(tasks.All(t => t.Status == TaskStatus.RanToCompletion));
            Assert.AreEqual(160, syncCalls);
        }
    }
}
