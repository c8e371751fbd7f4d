// The generated haptix.v1 codec against Python's protobuf (samples written by protocheck.py) and
// against malformed input.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Haptix.Proto;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class CodecTests
    {
        private static readonly Type[] MessageTypes = typeof(IProtoMessage).Assembly.GetTypes()
            .Where(t => t.Namespace == "Haptix.Proto" && typeof(IProtoMessage).IsAssignableFrom(t) && !t.IsInterface)
            .OrderBy(t => t.Name).ToArray();

        internal static IProtoMessage Parse(Type type, byte[] data)
        {
            var parse = type.GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(byte[]) }, null);
            try
            {
                return (IProtoMessage)parse.Invoke(null, new object[] { data });
            }
            catch (TargetInvocationException e)
            {
                throw e.InnerException;
            }
        }

        private static string SamplesFolder()
        {
            var folder = T.EnvFolder("HAPTIX_PROTO_SAMPLES");
            if (folder == null) Assert.Ignore("HAPTIX_PROTO_SAMPLES is not set (scripts/test-csharp.sh sets it)");
            return folder;
        }

        [Test]
        public void EveryPythonSampleDecodesAndReencodesIdentically()
        {
            var folder = SamplesFolder();
            var failures = new List<string>();
            int count = 0;
            foreach (var path in Directory.GetFiles(folder, "*.bin").OrderBy(p => p))
            {
                var file = Path.GetFileName(path);
                var parts = file.Split('.');
                var type = MessageTypes.FirstOrDefault(t => t.Name == parts[0]);
                if (type == null)
                {
                    failures.Add(file + ": no C# class " + parts[0]);
                    continue;
                }
                var data = File.ReadAllBytes(path);
                // Unknown fields are skipped: the re-encoding is the sample without them.
                var expected = parts[1] == "unknown" ? File.ReadAllBytes(Path.Combine(folder, parts[0] + ".full.bin")) : data;
                try
                {
                    var again = Parse(type, data);
                    var bytes = ProtoRuntime.Encode(again);
                    if (!bytes.SequenceEqual(expected))
                    {
                        failures.Add(file + ": re-encoded as " + BitConverter.ToString(bytes) + ", expected " + BitConverter.ToString(expected));
                    }
                    if (again.CalculateSize() != expected.Length) failures.Add(file + ": CalculateSize disagrees");
                }
                catch (Exception e)
                {
                    failures.Add(file + ": " + e.GetType().Name + ": " + e.Message);
                }
                count++;
            }
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Greater(count, MessageTypes.Length * 3, "too few samples");
        }

        [Test]
        public void EveryMessageTypeHasSamples()
        {
            var folder = SamplesFolder();
            var sampled = new HashSet<string>(Directory.GetFiles(folder, "*.full.bin").Select(p => Path.GetFileName(p).Split('.')[0]));
            var missing = MessageTypes.Select(t => t.Name).Where(n => !sampled.Contains(n)).ToList();
            Assert.IsEmpty(missing, "message types without Python samples: " + string.Join(", ", missing));
            Assert.AreEqual(sampled.Count, MessageTypes.Length, "Python knows message types the C# codec lacks");
        }

        [Test]
        public void UnknownEnumValuesAreKept()
        {
            var output = new Output { DeviceIndex = 3, OutputType = (OutputType)77, Level = 0.5 };
            var back = Output.Parse(output.ToByteArray());
            Assert.AreEqual(77, (int)back.OutputType);
            Assert.AreEqual(0.5, back.Level);
            Assert.AreEqual(Output.ValueOneofCase.Level, back.ValueCase);
        }

        [Test]
        public void OptionalFieldsKeepPresenceOfZero()
        {
            var stop = new StopAll { Inputs = false };
            var back = StopAll.Parse(stop.ToByteArray());
            Assert.AreEqual(false, back.Inputs);
            Assert.IsNull(back.Outputs);
            Assert.AreEqual(2, stop.ToByteArray().Length);
            Assert.AreEqual(0, new StopAll().ToByteArray().Length);
        }

        [Test]
        public void OneofMembersReplaceEachOther()
        {
            var output = new Output { Level = 0.25 };
            output.Steps = 4;
            Assert.AreEqual(Output.ValueOneofCase.Steps, output.ValueCase);
            Assert.AreEqual(0d, output.Level);
            var request = new Request { Ping = new Ping() };
            request.Output = output;
            Assert.AreEqual(Request.KindOneofCase.Output, request.KindCase);
            Assert.IsNull(request.Ping);
            request.Output = null;
            Assert.AreEqual(Request.KindOneofCase.None, request.KindCase);
        }

        [Test]
        public void MalformedInputThrowsProtoException()
        {
            var good = new Event { RequestId = 9, Response = new Response { Status = 403, Message = "out of range" } }.ToByteArray();
            // Every truncation of a valid message fails cleanly (or decodes a prefix), never crashes.
            for (int n = 0; n < good.Length; n++)
            {
                var cut = good.Take(n).ToArray();
                try
                {
                    Event.Parse(cut);
                }
                catch (ProtoException)
                {
                }
            }
            Assert.Throws<ProtoException>(() => Event.Parse(new byte[] { 0x0A, 0x05, 0x01 }));
            Assert.Throws<ProtoException>(() => Event.Parse(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }));
            Assert.Throws<ProtoException>(() => Event.Parse(new byte[] { 0x00 }));
            Assert.Throws<ProtoException>(() => Event.Parse(new byte[] { 0x0B }));
            // A string that is not UTF-8.
            Assert.Throws<ProtoException>(() => Response.Parse(new byte[] { 0x12, 0x02, 0xC3, 0x28 }));
            Assert.Throws<ArgumentNullException>(() => Event.Parse(null));
        }

        [Test]
        public void RandomBytesNeverCrashTheDecoder()
        {
            var random = new Random(1234);
            int decoded = 0;
            for (int i = 0; i < 20000; i++)
            {
                var bytes = new byte[random.Next(0, 40)];
                random.NextBytes(bytes);
                try
                {
                    Event.Parse(bytes);
                    Request.Parse(bytes);
                    decoded++;
                }
                catch (ProtoException)
                {
                }
            }
            Assert.Greater(decoded, 0);
        }

        [Test]
        public void EncodeIntoReusesTheBuffer()
        {
            var request = new Request { Id = 5, Output = new Output { DeviceIndex = 1, OutputType = OutputType.Vibrate, Level = 0.5 } };
            byte[] buffer = null;
            int n = ProtoRuntime.EncodeInto(request, ref buffer);
            var first = buffer;
            int m = ProtoRuntime.EncodeInto(request, ref buffer);
            Assert.AreSame(first, buffer);
            Assert.AreEqual(n, m);
            CollectionAssert.AreEqual(request.ToByteArray(), buffer.Take(n).ToArray());
        }
    }
}
