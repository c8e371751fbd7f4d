// The thin P/Invoke layer: loading, the ABI check, misuse, and the round trip of bytes produced by
// the Rust side (every event kind the library emits) and of requests encoded here (the library
// accepts and acts on them). The bytes are also written to HAPTIX_PROTO_OUT for protocheck.py,
// which checks them with Python's protobuf.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Haptix.Native;
using Haptix.Proto;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class NativeTests
    {
        [Test]
        public void LibraryLoadsAndImplementsTheAbi()
        {
            Library.EnsureLoaded();
            Assert.AreEqual(NativeMethods.AbiVersion, NativeMethods.haptix_abi_version());
            StringAssert.Contains(".", Library.Version);
        }

        [Test]
        public void AnotherAbiVersionIsRefusedWithTheLibrarysMessage()
        {
            ContextHandle handle;
            int status = NativeMethods.haptix_context_new(999, null, UIntPtr.Zero, out handle);
            string message = NativeMethods.LastErrorMessage();
            Assert.AreEqual((int)Status.ErrorAbiMismatch, status);
            Assert.IsTrue(handle == null || handle.IsInvalid);
            StringAssert.Contains("999", message);
        }

        /// <summary>
        /// Runs LoadCheck.exe with the binding in a folder of its own, holding
        /// <paramref name="library"/> under the library's file name (none when null), and returns
        /// its exit code and output.
        /// </summary>
        private static int LoadCheckIn(string library, out string output)
        {
            var exe = T.EnvFolder("HAPTIX_LOADCHECK");
            if (exe == null) Assert.Ignore("HAPTIX_LOADCHECK is not set (scripts/test-csharp.sh sets it)");
            var dir = Path.Combine(Path.GetTempPath(), "haptix-loadcheck-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                File.Copy(exe, Path.Combine(dir, "LoadCheck.exe"));
                File.Copy(typeof(Client).Assembly.Location, Path.Combine(dir, "Haptix.dll"));
                if (library != null) File.Copy(library, Path.Combine(dir, Library.ExpectedFileName));
                var info = new ProcessStartInfo("mono", "LoadCheck.exe")
                {
                    WorkingDirectory = dir,
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                };
                info.EnvironmentVariables["LD_LIBRARY_PATH"] = dir;
                info.EnvironmentVariables["DYLD_LIBRARY_PATH"] = dir;
                info.EnvironmentVariables["MONO_PATH"] = dir;
                using (var p = Process.Start(info))
                {
                    output = p.StandardOutput.ReadToEnd();
                    Assert.IsTrue(p.WaitForExit(T.HangGuardMs), "LoadCheck hangs");
                    return p.ExitCode;
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        /// <summary>A stand-in library built by scripts/test-csharp.sh from tests/fakelib (abi1 or other).</summary>
        private static string FakeLibrary(string kind)
        {
            var folder = T.EnvFolder("HAPTIX_FAKE_LIBRARIES");
            if (folder == null) Assert.Ignore("HAPTIX_FAKE_LIBRARIES is not set (scripts/test-csharp.sh sets it)");
            var path = Path.Combine(Path.Combine(folder, kind), Library.ExpectedFileName);
            Assert.IsTrue(File.Exists(path), "no stand-in library " + path);
            return path;
        }

        [Test]
        public void AMissingLibraryNamesTheFileAndPlatform()
        {
            string output;
            Assert.AreEqual(3, LoadCheckIn(null, out output), output);
            StringAssert.Contains("could not be loaded", output);
            StringAssert.Contains(Library.ExpectedFileName, output);
            StringAssert.Contains(IntPtr.Size == 8 ? "64-bit" : "32-bit", output);
        }

        [Test]
        public void ALibraryOfAnotherAbiIsRefusedAtLoadNamingTheFileAndPlatform()
        {
            // The binding's own check, before any other call: the stand-in says ABI 1.
            string output;
            Assert.AreEqual(3, LoadCheckIn(FakeLibrary("abi1"), out output), output);
            StringAssert.Contains("implements C ABI 1 but this binding needs ABI " + NativeMethods.AbiVersion, output);
            StringAssert.Contains(Library.ExpectedFileName, output);
            StringAssert.Contains(IntPtr.Size == 8 ? "64-bit" : "32-bit", output);
        }

        [Test]
        public void AnotherLibraryUnderTheNameIsRefusedAtLoad()
        {
            string output;
            Assert.AreEqual(3, LoadCheckIn(FakeLibrary("other"), out output), output);
            StringAssert.Contains("is not the Haptix library", output);
            StringAssert.Contains(Library.ExpectedFileName, output);
            StringAssert.Contains(IntPtr.Size == 8 ? "64-bit" : "32-bit", output);
        }

        [Test, Timeout(120000)]
        public void AProcessThatLeavesEverythingUndisposedExitsCleanly()
        {
            var exe = T.EnvFolder("HAPTIX_LOADCHECK");
            if (exe == null) Assert.Ignore("HAPTIX_LOADCHECK is not set (scripts/test-csharp.sh sets it)");
            for (int i = 0; i < 3; i++)
            {
                var info = new ProcessStartInfo("mono", "\"" + exe + "\" leave")
                {
                    WorkingDirectory = Path.GetDirectoryName(exe),
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                using (var p = Process.Start(info))
                {
                    var stderr = p.StandardError.ReadToEndAsync();
                    string output = p.StandardOutput.ReadToEnd();
                    Assert.IsTrue(p.WaitForExit(T.HangGuardMs), "hang guard: the process did not exit");
                    Assert.AreEqual(0, p.ExitCode, output + stderr.Result);
                    StringAssert.Contains("leaving 2 devices", output);
                }
            }
        }

        [Test]
        public void NullAndFreedHandlesGiveStatusesNotCrashes()
        {
            ulong id;
            var bytes = new Request { Ping = new Ping() }.ToByteArray();
            using (var context = T.NewContext())
            using (var client = Client.ConnectEmbedded(context))
            {
                client.Dispose();
                Assert.Throws<ObjectDisposedException>(() => client.Ping());
            }
            // A handle that holds nothing passes NULL: the library says so instead of crashing.
            Assert.AreEqual((int)Status.ErrorNullPointer, NativeMethods.haptix_client_send(new ClientHandle(), bytes, (UIntPtr)bytes.Length, out id));
            // A disposed handle never reaches the library.
            var closed = new ClientHandle();
            closed.Dispose();
            Assert.Throws<ObjectDisposedException>(() => NativeMethods.haptix_client_send(closed, bytes, (UIntPtr)bytes.Length, out id));
            // Garbage instead of a request: the library refuses it with its message.
            using (var context = T.NewContext())
            {
                ClientHandle handle;
                Assert.AreEqual(0, NativeMethods.haptix_client_new(context.NativeHandle, null, UIntPtr.Zero, out handle));
                using (handle)
                {
                    var garbage = new byte[] { 0xFF, 0xFF, 0xFF };
                    int status = NativeMethods.haptix_client_send(handle, garbage, (UIntPtr)garbage.Length, out id);
                    Assert.AreEqual((int)Status.ErrorInvalidProtobuf, status);
                    Assert.IsNotEmpty(NativeMethods.LastErrorMessage());
                }
            }
        }

        private sealed class Capture
        {
            public readonly string Out = T.EnvFolder("HAPTIX_PROTO_OUT");
            public readonly List<string> Failures = new List<string>();
            public readonly HashSet<string> Kinds = new HashSet<string>();
            private int n;

            public void Save(string name, string label, byte[] bytes)
            {
                if (Out == null) return;
                Directory.CreateDirectory(Out);
                File.WriteAllBytes(Path.Combine(Out, name + "." + label + "-" + (n++) + ".bin"), bytes);
            }

            /// <summary>Decodes library bytes, re-encodes them, and records any difference.</summary>
            public Event Event(byte[] raw)
            {
                var ev = Haptix.Proto.Event.Parse(raw);
                string kind = ev.KindCase.ToString();
                if (ev.KindCase == Haptix.Proto.Event.KindOneofCase.Response && ev.Response.ResultCase != Response.ResultOneofCase.None)
                {
                    kind += "." + ev.Response.ResultCase;
                }
                Kinds.Add(kind);
                var again = ev.ToByteArray();
                if (!again.SequenceEqual(raw))
                {
                    Failures.Add(kind + ": library " + BitConverter.ToString(raw) + " re-encoded " + BitConverter.ToString(again));
                }
                Save("Event", kind, raw);
                return ev;
            }
        }

        private static byte[] Take(ref HaptixBuffer buffer)
        {
            try
            {
                return buffer.ToArray();
            }
            finally
            {
                NativeMethods.haptix_buffer_free(ref buffer);
                Assert.AreEqual(IntPtr.Zero, buffer.Data);
            }
        }

        /// <summary>Takes events until one of <paramref name="kind"/> arrives (or is already among <paramref name="seen"/>).</summary>
        private static Event WaitFor(ClientHandle client, Capture capture, Event.KindOneofCase kind, List<Event> seen, int count = 1)
        {
            while (seen.Count(e => e.KindCase == kind) < count)
            {
                HaptixBuffer buffer;
                int status = NativeMethods.haptix_client_next_event(client, (uint)T.HangGuardMs, out buffer);
                Assert.AreEqual(0, status, "waiting for " + kind + ": " + (Status)status + "; seen " + string.Join(", ", seen.Select(e => e.KindCase)));
                seen.Add(capture.Event(Take(ref buffer)));
            }
            return seen.First(e => e.KindCase == kind);
        }

        private static Event NextEvent(ClientHandle client, Capture capture)
        {
            HaptixBuffer buffer;
            int status = NativeMethods.haptix_client_next_event(client, (uint)T.HangGuardMs, out buffer);
            Assert.AreEqual(0, status, "next_event: " + (Status)status);
            return capture.Event(Take(ref buffer));
        }

        /// <summary>Sends a request encoded here and returns its (successful) response event.</summary>
        private static Event Roundtrip(ClientHandle client, Capture capture, Request request, string label, List<Event> others)
        {
            var bytes = request.ToByteArray();
            capture.Save("Request", label, bytes);
            ulong id;
            int status = NativeMethods.haptix_client_send(client, bytes, (UIntPtr)bytes.Length, out id);
            Assert.AreEqual(0, status, label + ": " + NativeMethods.LastErrorMessage());
            Assert.AreEqual(request.Id, id);
            while (true)
            {
                var ev = NextEvent(client, capture);
                if (ev.KindCase == Event.KindOneofCase.Response && ev.RequestId == id)
                {
                    Assert.AreEqual(0, ev.Response.Status, label + " refused: " + ev.Response.Message);
                    return ev;
                }
                others.Add(ev);
            }
        }

        [Test]
        public void LibraryBytesRoundTripAndEncodedRequestsAreActedOn()
        {
            var capture = new Capture();
            var contextOptions = new Haptix.Proto.ContextOptions { LogLevel = LogLevel.Debug, ServerName = "round trip" };
            contextOptions.SimulatedDevices.Add(new Haptix.Proto.SimulatedDevice { Identifier = "LVS-Hush", Address = "hush-1" });
            contextOptions.SimulatedDevices.Add(new Haptix.Proto.SimulatedDevice { Identifier = "Boost", Address = "boost-1" });
            var optionBytes = contextOptions.ToByteArray();
            capture.Save("ContextOptions", "test", optionBytes);
            ContextHandle context;
            Assert.AreEqual(0, NativeMethods.haptix_context_new(NativeMethods.AbiVersion, optionBytes, (UIntPtr)optionBytes.Length, out context));
            using (context)
            {
                var clientOptions = new ClientOptions { ClientName = "raw \u2713", Embedded = new EmbeddedServer(), RequestTimeoutMs = 20000 };
                var clientBytes = clientOptions.ToByteArray();
                capture.Save("ClientOptions", "test", clientBytes);
                capture.Save("ServerOptions", "test", new ServerOptions { ListenAddress = "127.0.0.1:0", MaxMessageSize = 1 << 20 }.ToByteArray());
                ClientHandle client;
                Assert.AreEqual(0, NativeMethods.haptix_client_new(context, clientBytes, (UIntPtr)clientBytes.Length, out client));
                using (client)
                {
                    var others = new List<Event>();
                    var first = NextEvent(client, capture);
                    Assert.AreEqual(Event.KindOneofCase.Connected, first.KindCase);
                    Assert.AreEqual("round trip", first.Connected.ServerName);
                    ulong id = 1;
                    Roundtrip(client, capture, new Request { Id = id++, StartScanning = new StartScanning() }, "start_scanning", others);
                    WaitFor(client, capture, Event.KindOneofCase.DeviceAdded, others, 2);
                    var devices = others.Where(e => e.KindCase == Event.KindOneofCase.DeviceAdded).Select(e => e.DeviceAdded.Device).ToList();
                    var hush = devices.Single(d => d.Address == "hush-1");
                    var boost = devices.Single(d => d.Address == "boost-1");
                    var list = Roundtrip(client, capture, new Request { Id = id++, RequestDeviceList = new RequestDeviceList() }, "request_device_list", others);
                    Assert.AreEqual(2, list.Response.DeviceList.Devices.Count);
                    Roundtrip(client, capture, new Request { Id = id++, TakeWrites = new TakeWrites { Address = "hush-1" } }, "take_writes", others);
                    Roundtrip(client, capture, new Request { Id = id++, Output = new Output { DeviceIndex = hush.Index, OutputType = OutputType.Vibrate, Level = 0.5 } }, "output_level", others);
                    Roundtrip(client, capture, new Request { Id = id++, Output = new Output { DeviceIndex = hush.Index, FeatureIndex = 0, OutputType = OutputType.Vibrate, Steps = 7 } }, "output_steps", others);
                    var writes = new List<string>();
                    var deadline = DateTime.UtcNow.AddMilliseconds(T.HangGuardMs);
                    while (writes.Count < 2)
                    {
                        Assert.Less(DateTime.UtcNow, deadline, "hang guard: writes");
                        var w = Roundtrip(client, capture, new Request { Id = id++, TakeWrites = new TakeWrites { Address = "hush-1" } }, "take_writes", others);
                        writes.AddRange(w.Response.Writes.Writes_.Select(T.Describe));
                    }
                    CollectionAssert.AreEqual(new[] { "tx Vibrate:10;", "tx Vibrate:7;" }, writes);
                    var battery = Roundtrip(client, capture, new Request { Id = id++, Input = new Input { DeviceIndex = hush.Index, InputType = InputType.Battery, Command = InputCommand.Read } }, "input_read", others);
                    Assert.AreEqual(85, battery.Response.Reading.Value);
                    Roundtrip(client, capture, new Request { Id = id++, Input = new Input { DeviceIndex = boost.Index, FeatureIndex = 0, InputType = InputType.Pressure, Command = InputCommand.Subscribe } }, "input_subscribe", others);
                    Roundtrip(client, capture, new Request { Id = id++, InjectNotification = new InjectNotification { Address = "boost-1", Endpoint = "rxpressure", Data = new byte[] { 0, 1, 4, 0, 42, 1, 0 } } }, "inject_notification", others);
                    WaitFor(client, capture, Event.KindOneofCase.InputReading, others);
                    Assert.AreEqual(42, others.First(e => e.KindCase == Event.KindOneofCase.InputReading).InputReading.Value);
                    Roundtrip(client, capture, new Request { Id = id++, Input = new Input { DeviceIndex = boost.Index, FeatureIndex = 0, InputType = InputType.Pressure, Command = InputCommand.Unsubscribe } }, "input_unsubscribe", others);
                    Roundtrip(client, capture, new Request { Id = id++, StopDevice = new StopDevice { DeviceIndex = hush.Index, Inputs = false } }, "stop_device", others);
                    Roundtrip(client, capture, new Request { Id = id++, StopAll = new StopAll { Outputs = true } }, "stop_all", others);
                    Roundtrip(client, capture, new Request { Id = id++, Ping = new Ping() }, "ping", others);
                    var added = Roundtrip(client, capture, new Request { Id = id++, AddSimulatedDevice = new AddSimulatedDevice { Device = new Haptix.Proto.SimulatedDevice { Identifier = "LVS-Nora", Address = "nora-9" } } }, "add_simulated_device", others);
                    Assert.AreEqual("nora-9", added.Response.SimulatedDevice.Address);
                    WaitFor(client, capture, Event.KindOneofCase.DeviceAdded, others, 3);
                    Roundtrip(client, capture, new Request { Id = id++, RemoveSimulatedDevice = new RemoveSimulatedDevice { Address = "nora-9" } }, "remove_simulated_device", others);
                    WaitFor(client, capture, Event.KindOneofCase.DeviceRemoved, others);
                    Roundtrip(client, capture, new Request { Id = id++, StopScanning = new StopScanning() }, "stop_scanning", others);
                    // An error response round-trips too.
                    var bad = new Request { Id = id++, Output = new Output { DeviceIndex = 99, OutputType = OutputType.Vibrate, Level = 0.5 } }.ToByteArray();
                    capture.Save("Request", "output_bad_device", bad);
                    ulong badId;
                    Assert.AreEqual(0, NativeMethods.haptix_client_send(client, bad, (UIntPtr)bad.Length, out badId));
                    Event badResponse;
                    do badResponse = NextEvent(client, capture); while (badResponse.RequestId != badId);
                    Assert.AreEqual((int)Status.ErrorDeviceNotFound, badResponse.Response.Status);
                    Assert.IsNotEmpty(badResponse.Response.Message);
                    Roundtrip(client, capture, new Request { Id = id++, Disconnect = new Disconnect() }, "disconnect", others);
                    WaitFor(client, capture, Event.KindOneofCase.Disconnected, others);
                }
                // Context events: log records.
                HaptixBuffer buffer;
                int logs = 0;
                while (NativeMethods.haptix_context_next_event(context, 0, out buffer) == 0)
                {
                    capture.Event(Take(ref buffer));
                    logs++;
                }
                Assert.Greater(logs, 0, "no log record at debug level");
            }
            Assert.IsEmpty(capture.Failures, string.Join("\n", capture.Failures));
            var expected = new[]
            {
                "Connected", "DeviceAdded", "DeviceRemoved", "Response", "Response.DeviceList", "Response.Writes", "Response.Reading",
                "Response.SimulatedDevice", "InputReading", "Disconnected", "Log",
            };
            CollectionAssert.IsSubsetOf(expected, capture.Kinds, "event kinds seen: " + string.Join(", ", capture.Kinds));
        }

        [Test, Timeout(60000)]
        public void ScanningFinishedAndErrorEventsOfTheLibraryRoundTrip()
        {
            // The embedded server never finishes a scan nor reports an error outside a request:
            // a scripted remote server makes the library emit both event kinds.
            var capture = new Capture();
            using (var server = new ScriptedServer())
            using (var context = new Context())
            {
                var options = new ClientOptions { ClientName = "raw scripted", WebsocketUrl = server.Url }.ToByteArray();
                ClientHandle client;
                Assert.AreEqual(0, NativeMethods.haptix_client_new(context.NativeHandle, options, (UIntPtr)options.Length, out client));
                using (client)
                {
                    var others = new List<Event>();
                    Assert.AreEqual(Event.KindOneofCase.Connected, NextEvent(client, capture).KindCase);
                    Roundtrip(client, capture, new Request { Id = 1, StartScanning = new StartScanning() }, "start_scanning", others);
                    server.Send("[{\"ScanningFinished\":{\"Id\":0}},{\"Error\":{\"Id\":0,\"ErrorCode\":0,\"ErrorMessage\":\"scripted \u2713\"}}]");
                    WaitFor(client, capture, Event.KindOneofCase.ScanningFinished, others);
                    var error = WaitFor(client, capture, Event.KindOneofCase.Error, others);
                    Assert.AreEqual((int)Status.ErrorServer, error.Error.Status);
                    StringAssert.Contains("scripted \u2713", error.Error.Message);
                }
            }
            Assert.IsEmpty(capture.Failures, string.Join("\n", capture.Failures));
            CollectionAssert.IsSubsetOf(new[] { "Connected", "Response", "ScanningFinished", "Error" }, capture.Kinds);
        }

        [Test]
        public void CallReturnsTheResponseDirectly()
        {
            using (var context = T.NewContext())
            {
                ClientHandle client;
                Assert.AreEqual(0, NativeMethods.haptix_client_new(context.NativeHandle, null, UIntPtr.Zero, out client));
                using (client)
                {
                    var bytes = new Request { Ping = new Ping() }.ToByteArray();
                    HaptixBuffer buffer;
                    int status;
                    try
                    {
                        status = NativeMethods.haptix_client_call(client, bytes, (UIntPtr)bytes.Length, NativeMethods.WaitForever, out buffer);
                    }
                    catch (EntryPointNotFoundException)
                    {
                        Assert.Ignore("this library has no haptix_client_call yet");
                        return;
                    }
                    Assert.AreEqual(0, status, NativeMethods.LastErrorMessage());
                    var raw = Take(ref buffer);
                    var ev = Event.Parse(raw);
                    CollectionAssert.AreEqual(raw, ev.ToByteArray());
                    Assert.AreEqual(Event.KindOneofCase.Response, ev.KindCase);
                    Assert.AreEqual(0, ev.Response.Status);
                    // The response did not go to the event stream: only Connected is there.
                    HaptixBuffer next;
                    while (NativeMethods.haptix_client_next_event(client, 200, out next) == 0)
                    {
                        var other = Event.Parse(Take(ref next));
                        Assert.AreNotEqual(Event.KindOneofCase.Response, other.KindCase);
                    }
                }
            }
        }
    }
}
