// The idiomatic API on the embedded server: connection, scanning, every output type reaching the
// simulated toys as exact bytes, inputs, bad input, order, cancellation, logs.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class ClientTests
    {
        private Context context;
        private Client client;

        [SetUp]
        public void SetUp()
        {
            context = T.NewContext(
                new SimulatedDevice("LVS-Nora", "nora-1"),
                new SimulatedDevice("CCYB_1", "osc-1"),
                new SimulatedDevice("BT05", "pos-1"),
                new SimulatedDevice("Boost", "boost-1"));
            client = Client.ConnectEmbedded(context, "C# tests");
        }

        [TearDown]
        public void TearDown()
        {
            client.Dispose();
            context.Dispose();
        }

        private Device Find(string address)
        {
            var d = T.FindDevice(client, address);
            T.ClearWrites(client, address);
            return d;
        }

        [Test, Timeout(60000)]
        public void ConnectsToTheEmbeddedServer()
        {
            Assert.IsTrue(client.IsConnected);
            Assert.AreEqual("Haptix", client.ServerName);
            Assert.GreaterOrEqual(client.SpecVersion, 3u);
            Assert.AreSame(context, client.Context);
        }

        [Test, Timeout(60000)]
        public void ScanFindsSimulatedDevicesAndRaisesDeviceAddedOnTheCallingThread()
        {
            var added = new List<Device>();
            var threads = new HashSet<int>();
            client.DeviceAdded += (s, e) =>
            {
                added.Add(e.Device);
                threads.Add(Thread.CurrentThread.ManagedThreadId);
            };
            T.Done(client.StartScanningAsync(), "start scanning");
            T.WaitUntil(() => added.Count == 5, "five DeviceAdded events", client);
            CollectionAssert.AreEquivalent(
                new[] { "Lovense Hush", "Lovense Nora", "Xibao Smart Masturbation Cup", "Fleshy Thrust Sync", "KGoal Boost" },
                added.Select(d => d.Name));
            CollectionAssert.AreEqual(new[] { Thread.CurrentThread.ManagedThreadId }, threads);
            CollectionAssert.AreEquivalent(added, client.Devices);
            var hush = added.Single(d => d.Address == T.Hush);
            Assert.IsTrue(hush.HasOutput(OutputType.Vibrate));
            Assert.IsTrue(hush.HasInput(InputType.Battery));
            Assert.IsFalse(hush.HasOutput(OutputType.Rotate));
            Assert.AreEqual(20, hush.Features[0].StepCount(OutputType.Vibrate));
            Assert.AreSame(hush, client.GetDevice(hush.Index));
            var list = (Task<IReadOnlyList<Haptix.Proto.Device>>)T.Done(client.RequestDeviceListAsync(), "device list");
            CollectionAssert.AreEquivalent(added.Select(d => d.Index), list.Result.Select(d => d.Index));
        }

        [Test, Timeout(60000)]
        public void VibrateReachesTheToyAsExactBytes()
        {
            var hush = Find(T.Hush);
            T.Done(hush.VibrateAsync(0.5), "vibrate");
            CollectionAssert.AreEqual(new[] { "tx Vibrate:10;" }, T.Writes(client, T.Hush));
            hush.Vibrate(1.0);
            CollectionAssert.AreEqual(new[] { "tx Vibrate:20;" }, T.Writes(client, T.Hush));
            T.Done(hush.Features[0].VibrateAsync(0.25), "feature vibrate");
            CollectionAssert.AreEqual(new[] { "tx Vibrate:5;" }, T.Writes(client, T.Hush));
            T.Done(hush.RunOutputStepsAsync(OutputType.Vibrate, 3), "steps");
            CollectionAssert.AreEqual(new[] { "tx Vibrate:3;" }, T.Writes(client, T.Hush));
            T.Done(hush.RunOutputAsync(OutputType.Vibrate, 0.75, 0), "generic output");
            CollectionAssert.AreEqual(new[] { "tx Vibrate:15;" }, T.Writes(client, T.Hush));
            T.Done(hush.StopAsync(), "stop");
            CollectionAssert.AreEqual(new[] { "tx Vibrate:0;" }, T.Writes(client, T.Hush));
        }

        [Test, Timeout(60000)]
        public void FireAndForgetOutputsReachTheToyAndReportRefusals()
        {
            var hush = Find(T.Hush);
            var errors = new List<ErrorEventArgs>();
            client.ErrorReceived += (s, e) => errors.Add(e);
            hush.SendVibrate(0.5);
            CollectionAssert.AreEqual(new[] { "tx Vibrate:10;" }, T.Writes(client, T.Hush));
            hush.SendOutput(OutputType.Vibrate, 0.25, 0);
            CollectionAssert.AreEqual(new[] { "tx Vibrate:5;" }, T.Writes(client, T.Hush));
            hush.SendVibrate(double.NaN);
            T.WaitUntil(() => errors.Count == 1, "an ErrorReceived event for the refused command", client);
            Assert.AreEqual(Status.ErrorOutOfRange, errors[0].Status);
            StringAssert.Contains("NaN", errors[0].Message);
            client.Ping();
            CollectionAssert.IsEmpty(client.TakeWrites(T.Hush));
            client.Dispose();
            Assert.Throws<ObjectDisposedException>(() => hush.SendVibrate(0.5));
        }

        [Test, Timeout(60000)]
        public void RotateReachesTheToyAsExactBytes()
        {
            var nora = Find("nora-1");
            T.Done(nora.RotateAsync(0.5), "rotate");
            CollectionAssert.AreEqual(new[] { "tx Rotate:10;" }, T.Writes(client, "nora-1"));
            // The other direction: the Nora is told to change direction first.
            nora.Rotate(-1.0);
            var writes = T.Writes(client, "nora-1");
            CollectionAssert.AreEqual(new[] { "tx RotateChange;", "tx Rotate:20;" }, writes);
            T.Done(nora.Features.First(f => f.HasOutput(OutputType.Rotate)).RotateAsync(-0.25), "feature rotate");
            CollectionAssert.AreEqual(new[] { "tx Rotate:5;" }, T.Writes(client, "nora-1"));
        }

        [Test, Timeout(60000)]
        public void OscillateReachesTheToyAsExactBytes()
        {
            var cup = Find("osc-1");
            T.Done(cup.OscillateAsync(0.5), "oscillate");
            CollectionAssert.AreEqual(new[] { "tx hex:663a00060006010200020432e7" }, T.Writes(client, "osc-1"));
            cup.Oscillate(0);
            Assert.AreEqual(1, T.Writes(client, "osc-1").Count);
        }

        [Test, Timeout(60000)]
        public void PositionReachesTheToyAsExactBytes()
        {
            var thrust = Find("pos-1");
            // 0.5 of 0..180 is 90 (0x5a), in 500 ms (0x01f4).
            T.Done(thrust.PositionAsync(0.5, 500), "position");
            CollectionAssert.AreEqual(new[] { "tx hex:5a01f4" }, T.Writes(client, "pos-1"));
            thrust.Position(1.0, 1000);
            CollectionAssert.AreEqual(new[] { "tx hex:b403e8" }, T.Writes(client, "pos-1"));
            T.Done(thrust.Features[0].PositionAsync(0, 100), "feature position");
            CollectionAssert.AreEqual(new[] { "tx hex:000064" }, T.Writes(client, "pos-1"));
        }

        [Test, Timeout(60000)]
        public void PlainPositionAndConstrictReachTheToyAsExactBytes()
        {
            T.Done(client.AddSimulatedDeviceAsync("UMVxB1", "umove-1"), "add a Umove Vero");
            T.Done(client.AddSimulatedDeviceAsync("ST462A", "klitty-1"), "add a Svakom Klitty");
            var vero = Find("umove-1");
            var klitty = Find("klitty-1");
            // Position 0.5 of 0..732 is step 366 (0x016e), without a duration.
            T.Done(vero.RunOutputAsync(OutputType.Position, 0.5), "position");
            CollectionAssert.AreEqual(new[] { "tx hex:5aa5550000000100000000006e010000" }, T.Writes(client, "umove-1"));
            // Constrict 0.5 of 0..3 rounds to step 2.
            T.Done(klitty.RunOutputAsync(OutputType.Constrict, 0.5), "constrict");
            CollectionAssert.AreEqual(new[] { "tx hex:55090000020000" }, T.Writes(client, "klitty-1"));
            T.Done(klitty.RotateAsync(0.5), "rotate");
            CollectionAssert.AreEqual(new[] { "tx hex:55140000010500" }, T.Writes(client, "klitty-1"));
        }

        [Test, Timeout(60000)]
        public void TemperatureLedAndSprayReachTheToyAsExactBytes()
        {
            T.Done(client.AddSimulatedDeviceAsync("UMMiB1", "mira-1"), "add a Umove Mira");
            T.Done(client.AddSimulatedDeviceAsync("J-Rainbow", "rainbow-1"), "add a JoyHub Rainbow");
            T.Done(client.AddSimulatedDeviceAsync("J-Dodge", "dodge-1"), "add a JoyHub Dodge");
            var mira = Find("mira-1");
            var rainbow = Find("rainbow-1");
            var dodge = Find("dodge-1");
            // Temperature 0.5 of 0..42 is step 21 (0x15), in the Umove packet.
            T.Done(mira.RunOutputAsync(OutputType.Temperature, 0.5), "temperature");
            CollectionAssert.AreEqual(new[] { "tx hex:5aa55506ffff0000ffffffff15ff" }, T.Writes(client, "mira-1"));
            // The JoyHub light: on, then off.
            T.Done(rainbow.RunOutputAsync(OutputType.Led, 1.0), "led on");
            CollectionAssert.AreEqual(new[] { "tx hex:a014010001ff" }, T.Writes(client, "rainbow-1"));
            T.Done(rainbow.Features.Single(f => f.HasOutput(OutputType.Led)).RunOutputAsync(OutputType.Led, 0), "led off");
            CollectionAssert.AreEqual(new[] { "tx hex:a01400000000" }, T.Writes(client, "rainbow-1"));
            // The JoyHub lube pump: on, and switched off by the library a second later.
            var sprayed = System.Diagnostics.Stopwatch.StartNew();
            T.Done(dodge.RunOutputAsync(OutputType.Spray, 1.0), "spray");
            var writes = new List<string>();
            long offAfterMs = -1;
            while (offAfterMs < 0)
            {
                writes.AddRange(client.TakeWrites("dodge-1").Select(T.Describe));
                if (writes.Contains("tx hex:a02400000000")) offAfterMs = sprayed.ElapsedMilliseconds;
                else if (sprayed.ElapsedMilliseconds > T.HangGuardMs) Assert.Fail("hang guard: the lube pump was not switched off; it received: " + string.Join(", ", writes));
                else Thread.Sleep(5);
            }
            CollectionAssert.AreEqual(new[] { "tx hex:a024010001ff", "tx hex:a02400000000" }, writes);
            // Not at once: the pump runs for its second (the timer starts after this stopwatch).
            Assert.GreaterOrEqual(offAfterMs, 950, "the pump was switched off before its second was over");
        }

        [Test, Timeout(60000)]
        public void BatteryReadsTheToy()
        {
            var hush = Find(T.Hush);
            var battery = T.Done(hush.BatteryAsync(), "battery") as Task<double>;
            Assert.AreEqual(0.85, battery.Result, 1e-9);
            Assert.AreEqual(0.85, hush.Battery(), 1e-9);
            Assert.AreEqual(85, hush.ReadInput(InputType.Battery));
            CollectionAssert.Contains(T.Writes(client, T.Hush), "tx Battery;");
        }

        [Test, Timeout(60000)]
        public void AnInputSubscriptionDeliversReadings()
        {
            var boost = Find("boost-1");
            var readings = new List<InputReadingEventArgs>();
            client.InputReading += (s, e) => readings.Add(e);
            T.Done(boost.SubscribeAsync(InputType.Pressure, 0), "subscribe");
            T.Done(client.InjectNotificationAsync("boost-1", "rxpressure", new byte[] { 0, 1, 4, 0, 42, 1, 0 }), "inject");
            T.WaitUntil(() => readings.Count > 0, "an input reading", client);
            Assert.AreSame(boost, readings[0].Device);
            Assert.AreEqual(InputType.Pressure, readings[0].InputType);
            Assert.AreEqual(0u, readings[0].FeatureIndex);
            Assert.AreEqual(42, readings[0].Value);
            T.Done(boost.UnsubscribeAsync(InputType.Pressure, 0), "unsubscribe");
            int before = readings.Count;
            T.Done(client.InjectNotificationAsync("boost-1", "rxpressure", new byte[] { 0, 1, 4, 0, 43, 1, 0 }), "inject");
            client.Ping();
            client.DispatchEvents();
            Assert.IsFalse(readings.Skip(before).Any(r => r.Value == 43), "a reading after unsubscribing");
        }

        [Test, Timeout(60000)]
        public void RssiOfADeviceWithoutItIsRefusedWithTheLibrarysMessage()
        {
            // No simulated device reports a signal strength through the C ABI (the simulator's
            // RSSI is set from Rust only), so the read is refused, with the library's reason.
            var hush = Find(T.Hush);
            Assert.IsFalse(hush.HasInput(InputType.Rssi));
            var e = T.Fails<HaptixException>(() => hush.RssiAsync(), "rssi");
            Assert.AreEqual(Status.ErrorNotSupported, e.Status);
            StringAssert.Contains("Rssi", e.Message);
            var sync = Assert.Throws<HaptixException>(() => hush.Rssi());
            Assert.AreEqual(Status.ErrorNotSupported, sync.Status);
            client.Ping();
            CollectionAssert.IsEmpty(client.TakeWrites(T.Hush), "the refused read reached the toy");
        }

        [Test, Timeout(60000)]
        public void BadInputIsRefusedWithTheLibrarysMessageAndNothingReachesTheToy()
        {
            var hush = Find(T.Hush);
            var cases = new Dictionary<string, Func<Task>>
            {
                { "NaN", () => hush.VibrateAsync(double.NaN) },
                { "infinity", () => hush.VibrateAsync(double.PositiveInfinity) },
                { "1.5", () => hush.VibrateAsync(1.5) },
                { "-0.5", () => hush.VibrateAsync(-0.5) },
                { "steps out of range", () => hush.RunOutputStepsAsync(OutputType.Vibrate, 21, 0) },
                { "missing output", () => hush.RotateAsync(0.5) },
                { "missing feature", () => hush.RunOutputAsync(OutputType.Vibrate, 0.5, 9) },
                { "missing input", () => hush.ReadInputAsync(InputType.Pressure) },
                { "position on a vibrator", () => hush.PositionAsync(0.5, 100) },
            };
            foreach (var c in cases)
            {
                var e = T.Fails<HaptixException>(c.Value, c.Key);
                Assert.GreaterOrEqual((int)e.Status, 100, c.Key);
                Assert.IsNotEmpty(e.Message, c.Key);
                Assert.AreNotEqual(e.Status.ToString(), e.Message, c.Key + ": the message is the library's, not the status name");
            }
            var sync = Assert.Throws<HaptixException>(() => hush.Vibrate(double.NaN));
            Assert.IsNotEmpty(sync.Message);
            client.Ping();
            Thread.Sleep(100);
            CollectionAssert.IsEmpty(client.TakeWrites(T.Hush), "something reached the toy");
        }

        [Test, Timeout(60000)]
        public void ARemovedOrDisposedDeviceIsRefusedAndNothingReachesTheToy()
        {
            var hush = Find(T.Hush);
            using (var observer = Client.ConnectEmbedded(context, "observer"))
            {
                // A device whose client was disposed: refused before the library, every form.
                client.Dispose();
                Assert.IsFalse(hush.IsConnected);
                Thread.Sleep(100);
                observer.TakeWrites(T.Hush); // what the disposal itself sent (a stop), if anything
                Assert.Throws<ObjectDisposedException>(() => hush.VibrateAsync(0.5));
                Assert.Throws<ObjectDisposedException>(() => hush.Vibrate(0.5));
                Assert.Throws<ObjectDisposedException>(() => hush.SendVibrate(0.5));
                Assert.Throws<ObjectDisposedException>(() => hush.Features[0].VibrateAsync(0.5));
                observer.Ping();
                Thread.Sleep(100);
                CollectionAssert.IsEmpty(observer.TakeWrites(T.Hush), "a disposed client's device reached the toy");
                // A device that disconnected: the library refuses it with its message.
                var again = T.FindDevice(observer, T.Hush);
                T.Done(observer.RemoveSimulatedDeviceAsync(T.Hush), "remove");
                T.WaitUntil(() => !again.IsConnected, "the device disconnects", observer);
                var e = T.Fails<HaptixException>(() => again.VibrateAsync(0.5), "vibrate a removed device");
                Assert.AreEqual(Status.ErrorDeviceNotFound, e.Status);
                Assert.AreNotEqual(e.Status.ToString(), e.Message, "the message is the library's, not the status name");
            }
        }

        [Test, Timeout(60000)]
        public void DisconnectAsyncEndsTheConnection()
        {
            var hush = Find(T.Hush);
            DisconnectedEventArgs gone = null;
            client.Disconnected += (s, e) => gone = e;
            T.Done(hush.VibrateAsync(0.5), "vibrate");
            T.Writes(client, T.Hush);
            T.Done(client.DisconnectAsync(), "disconnect");
            T.WaitUntil(() => gone != null, "Disconnected", client);
            Assert.AreEqual(Status.Ok, gone.Status);
            Assert.IsNotEmpty(gone.Reason);
            Assert.IsFalse(client.IsConnected);
            Assert.IsFalse(hush.IsConnected);
            Assert.AreEqual(Status.ErrorNotConnected, T.Fails<HaptixException>(() => client.PingAsync(), "ping after disconnecting").Status);
            // The server stopped the device this client drove.
            using (var observer = Client.ConnectEmbedded(context, "observer"))
            {
                CollectionAssert.Contains(T.Writes(observer, T.Hush), "tx Vibrate:0;");
            }
        }

        [Test, Timeout(60000)]
        public void RequestsOfOneThreadAreAppliedInOrder()
        {
            var hush = Find(T.Hush);
            // Stop everything and start the toy in one frame: the toy runs.
            var a = client.StopAllDevicesAsync();
            var b = hush.VibrateAsync(0.5);
            T.Done(Task.WhenAll(a, b), "stop all + vibrate");
            Thread.Sleep(100);
            var writes = T.Writes(client, T.Hush);
            Assert.AreEqual("tx Vibrate:10;", writes.Last(), string.Join(" ", writes));
            client.StopAllDevices();
            Assert.AreEqual("tx Vibrate:0;", T.Writes(client, T.Hush).Last());
        }

        [Test, Timeout(60000)]
        public void ACancelledTokenCancelsTheTask()
        {
            var hush = Find(T.Hush);
            var cts = new CancellationTokenSource();
            cts.Cancel();
            var task = hush.VibrateAsync(0.5, cts.Token);
            Assert.IsTrue(task.IsCanceled);
            var pending = client.PingAsync(new CancellationTokenSource().Token);
            T.Done(pending, "ping with a token");
            Assert.IsTrue(pending.Status == TaskStatus.RanToCompletion);
        }

        [Test, Timeout(60000)]
        public void ContinuationsNeverRunOnTheLibrarysThread()
        {
            var hush = Find(T.Hush);
            // Even a continuation that asks to run synchronously runs on the thread pool (or inline
            // on this thread when the task had already completed), never on the pump's thread.
            int self = Thread.CurrentThread.ManagedThreadId;
            for (int i = 0; i < 20; i++)
            {
                bool ok = false;
                var continuation = hush.VibrateAsync(0.5).ContinueWith(
                    t => ok = Thread.CurrentThread.IsThreadPoolThread || Thread.CurrentThread.ManagedThreadId == self,
                    TaskContinuationOptions.ExecuteSynchronously);
                T.Done(continuation, "continuation");
                Assert.IsTrue(ok, "a continuation ran on a library thread");
            }
        }

        [Test, Timeout(60000)]
        public void ConnectingToNothingFailsInsteadOfHanging()
        {
            string url;
            using (var server = context.StartServer())
            {
                url = server.Url;
                server.Stop();
            }
            long released = Client.ReleasedRegistrations;
            var e = T.Fails<HaptixException>(() => Client.ConnectAsync(context, url), "connect to a stopped server");
            Assert.AreNotEqual(Status.Ok, e.Status);
            Assert.IsNotEmpty(e.Message);
            // The client that could not connect is freed by the binding (nobody else holds it).
            T.WaitUntil(() => Client.ReleasedRegistrations > released, "the failed client is freed");
            Assert.Throws<ArgumentNullException>(() => Client.ConnectAsync(context, null));
            var bad = Assert.Throws<HaptixException>(() => Client.ConnectAsync(context, "http://not-a-websocket"));
            Assert.AreEqual(Status.ErrorInvalidArgument, bad.Status);
        }

        [Test, Timeout(60000)]
        public void LogRecordsAreRaisedByDispatchEvents()
        {
            var options = new ContextOptions { LogLevel = LogLevel.Debug };
            options.SimulatedDevices.Add(new SimulatedDevice("LVS-Hush"));
            using (var verbose = new Context(options))
            using (var c = Client.ConnectEmbedded(verbose))
            {
                var logs = new List<LogEventArgs>();
                verbose.Log += (s, e) => logs.Add(e);
                c.Ping();
                T.WaitUntil(() => { verbose.DispatchEvents(); return logs.Count > 0; }, "a log record");
                Assert.IsNotEmpty(logs[0].Target);
                Assert.Greater(logs[0].Timestamp.Year, 2000);
            }
        }

        // A device database in the official JSON format (v4) with one protocol, ActiveJoy,
        // whose toy is renamed and given 10 steps instead of 255.
        private const string OneProtocolDatabase = "{\"version\":{\"major\":4,\"minor\":0},\"protocols\":{\"activejoy\":{" +
            "\"communication\":[{\"btle\":{\"names\":[\"SS-TD-YDTD-001\"],\"services\":{\"0000f0b0-0000-1000-8000-00805f9b34fb\":{" +
            "\"rx\":\"0000f0b2-0000-1000-8000-00805f9b34fb\",\"tx\":\"0000f0b1-0000-1000-8000-00805f9b34fb\"}}}}]," +
            "\"defaults\":{\"id\":\"62e7b76d-ab99-42ca-89ea-865a6072451e\",\"name\":\"C# test egg\",\"features\":[" +
            "{\"id\":\"1fec4773-16a2-4bec-8910-1fcd9a85edaf\",\"index\":0,\"output\":{\"vibrate\":{\"value\":[0,10]}}}]}}}}";

        private static void WithTempFile(string content, Action<string> action)
        {
            var path = System.IO.Path.GetTempFileName();
            try
            {
                System.IO.File.WriteAllText(path, content);
                action(path);
            }
            finally
            {
                System.IO.File.Delete(path);
            }
        }

        [Test, Timeout(60000)]
        public void ContextOptionsReachTheLibrary()
        {
            WithTempFile(OneProtocolDatabase, database => WithTempFile("{\"version\":{\"major\":4,\"minor\":0}}", user =>
            {
                var options = new ContextOptions { DeviceConfigPath = database, UserConfigPath = user, ServerName = "options test", WorkerThreads = 1 };
                options.Buses.Add(CommManager.Simulated);
                options.SimulatedDevices.Add(new SimulatedDevice("SS-TD-YDTD-001", "egg-1"));
                using (var custom = new Context(options))
                using (var c = Client.ConnectEmbedded(custom))
                {
                    Assert.AreEqual("options test", c.ServerName);
                    var egg = T.FindDevice(c, "egg-1");
                    Assert.AreEqual("C# test egg", egg.Name);
                    Assert.AreEqual(10, egg.Features[0].StepCount(OutputType.Vibrate));
                    T.ClearWrites(c, "egg-1");
                    egg.Vibrate(0.5);
                    CollectionAssert.AreEqual(new[] { "tx hex:b00100000105" }, T.Writes(c, "egg-1"));
                }
                // That database replaced the built-in one: it has no Lovense Hush.
                options.SimulatedDevices.Add(new SimulatedDevice("LVS-Hush"));
                var e = Assert.Throws<HaptixException>(() => new Context(options));
                StringAssert.Contains("LVS-Hush", e.Message);
                // The same database as bytes wins over a path that does not exist.
                options = new ContextOptions { DeviceConfigJson = System.Text.Encoding.UTF8.GetBytes(OneProtocolDatabase), DeviceConfigPath = database + ".missing" };
                options.SimulatedDevices.Add(new SimulatedDevice("SS-TD-YDTD-001"));
                new Context(options).Dispose();
            }));
            // A path that does not exist, a user configuration of the wrong shape (as bytes and as a
            // file), a bus this build does not know: each refused with the library's reason. The
            // path comes back in the library's message: UTF-8 both ways.
            const string Missing = "/nonexistent/haptix-\u00e9\u2713.json";
            var missing = Assert.Throws<HaptixException>(() => new Context(new ContextOptions { DeviceConfigPath = Missing }));
            Assert.AreEqual(Status.ErrorInvalidConfig, missing.Status);
            StringAssert.Contains(Missing, missing.Message);
            const string BadUser = "{\"version\":{\"major\":4,\"minor\":0},\"user_configs\":[]}";
            var badUser = Assert.Throws<HaptixException>(() => new Context(new ContextOptions { UserConfigJson = System.Text.Encoding.UTF8.GetBytes(BadUser) }));
            Assert.AreEqual(Status.ErrorInvalidConfig, badUser.Status);
            StringAssert.Contains("user_configs", badUser.Message);
            WithTempFile(BadUser, path =>
            {
                var badFile = Assert.Throws<HaptixException>(() => new Context(new ContextOptions { UserConfigPath = path }));
                StringAssert.Contains("user_configs", badFile.Message);
            });
            var unknownBus = new ContextOptions();
            unknownBus.Buses.Add((CommManager)99);
            var bus = Assert.Throws<HaptixException>(() => new Context(unknownBus));
            Assert.AreEqual(Status.ErrorInvalidArgument, bus.Status);
            StringAssert.Contains("99", bus.Message);
        }

        [Test, Timeout(60000)]
        public void BadContextOptionsGiveTheLibrarysMessage()
        {
            var options = new ContextOptions { DeviceConfigJson = System.Text.Encoding.UTF8.GetBytes("{not json") };
            var e = Assert.Throws<HaptixException>(() => new Context(options));
            Assert.AreEqual(Status.ErrorInvalidConfig, e.Status);
            StringAssert.Contains("context", e.Message);
            options = new ContextOptions();
            options.SimulatedDevices.Add(new SimulatedDevice("hid:zz"));
            Assert.Throws<HaptixException>(() => new Context(options));
        }
    }
}
