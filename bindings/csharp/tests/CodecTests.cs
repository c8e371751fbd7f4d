// The generated haptix.v1 codec against Python's protobuf (samples written by protocheck.py),
// against the bytes the Rust side encodes (examples/proto_samples.rs, with the fields Python's
// protobuf decodes from them) and against malformed input.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
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

        // ---- samples from the Rust side

        private static string RustSamplesFolder()
        {
            var folder = T.EnvFolder("HAPTIX_RUST_SAMPLES");
            if (folder == null) Assert.Ignore("HAPTIX_RUST_SAMPLES is not set (scripts/test-csharp.sh sets it)");
            return folder;
        }

        /// <summary>The Rust samples, as (file name, message type, bytes).</summary>
        private static List<Tuple<string, Type, byte[]>> RustSamples(List<string> failures)
        {
            var samples = new List<Tuple<string, Type, byte[]>>();
            foreach (var path in Directory.GetFiles(RustSamplesFolder(), "*.bin").OrderBy(p => p, StringComparer.Ordinal))
            {
                var file = Path.GetFileName(path);
                var type = MessageTypes.FirstOrDefault(t => t.Name == file.Split('.')[0]);
                if (type == null) failures.Add(file + ": no C# class " + file.Split('.')[0]);
                else samples.Add(Tuple.Create(file, type, File.ReadAllBytes(path)));
            }
            return samples;
        }

        [Test]
        public void EveryRustSampleDecodesToTheFieldsItWasGivenAndReencodesIdentically()
        {
            var folder = RustSamplesFolder();
            var failures = new List<string>();
            var samples = RustSamples(failures);
            foreach (var sample in samples)
            {
                var file = sample.Item1;
                try
                {
                    var message = Parse(sample.Item2, sample.Item3);
                    var bytes = ProtoRuntime.Encode(message);
                    if (!bytes.SequenceEqual(sample.Item3))
                    {
                        failures.Add(file + ": re-encoded as " + BitConverter.ToString(bytes) + ", Rust wrote " + BitConverter.ToString(sample.Item3));
                    }
                    if (message.CalculateSize() != sample.Item3.Length) failures.Add(file + ": CalculateSize disagrees");
                    var fieldsFile = Path.Combine(folder, Path.GetFileNameWithoutExtension(file) + ".fields");
                    if (!File.Exists(fieldsFile))
                    {
                        failures.Add(file + ": no " + Path.GetFileName(fieldsFile) + " (protocheck.py describe)");
                        continue;
                    }
                    var expected = File.ReadAllLines(fieldsFile, Encoding.ASCII);
                    var actual = ProtoFields.Lines(message);
                    if (!expected.SequenceEqual(actual))
                    {
                        failures.Add(file + ": decoded as\n    " + string.Join("\n    ", actual) + "\n  Python's protobuf decodes\n    " + string.Join("\n    ", expected));
                    }
                }
                catch (Exception e)
                {
                    failures.Add(file + ": " + e.GetType().Name + ": " + e.Message);
                }
            }
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.GreaterOrEqual(samples.Count, MessageTypes.Length, "too few samples");
        }

        [Test]
        public void TheRustSamplesCoverEveryMessageTypeFieldAndOneofMember()
        {
            // Every message type has a sample, and every field (so every member of every oneof) is
            // present in at least one sample of its type.
            var failures = new List<string>();
            var byType = RustSamples(failures).ToLookup(s => s.Item2);
            foreach (var type in MessageTypes)
            {
                var decoded = byType[type].Select(s => Parse(type, s.Item3)).ToList();
                if (decoded.Count == 0)
                {
                    failures.Add(type.Name + ": no sample");
                    continue;
                }
                foreach (var member in ProtoFields.Members(type))
                {
                    if (!decoded.Any(m => member.IsPresent(m))) failures.Add(type.Name + "." + member.ProtoName + ": in no sample");
                }
            }
            Assert.IsEmpty(failures, string.Join("\n", failures));
        }

        [Test]
        public void FieldLinesFollowTheFormatOfProtocheckDescribe()
        {
            // The format the Rust samples' .fields files are compared in, on a message built here.
            var request = new Request
            {
                Id = 1UL << 63,
                Output = new Output { DeviceIndex = 2, FeatureIndex = 0, OutputType = (OutputType)77, Level = 0.5 },
            };
            CollectionAssert.AreEqual(new[]
            {
                "id=9223372036854775808",
                "output.device_index=2",
                "output.feature_index=0",
                "output.level=f64:3fe0000000000000",
                "output.output_type=77",
                "output={}",
            }, ProtoFields.Lines(request));
            var options = new Haptix.Proto.ContextOptions { DeviceConfigPath = "", ServerName = "\u2713" };
            options.CommManagers.Add(CommManager.Usb);
            options.CommManagers.Add(CommManager.Simulated);
            CollectionAssert.AreEqual(new[]
            {
                "comm_managers[0]=10",
                "comm_managers[1]=1",
                "device_config_path=utf8:",
                "server_name=utf8:e29c93",
            }, ProtoFields.Lines(options));
            var writes = new Writes();
            writes.Writes_.Add(new Write { Data = new byte[] { 0, 255 }, WithResponse = true });
            CollectionAssert.AreEqual(new[] { "writes[0].data=bytes:00ff", "writes[0].with_response=true", "writes[0]={}" }, ProtoFields.Lines(writes));
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

    /// <summary>
    /// The fields of a decoded message in the format of protocheck.py's <c>describe</c>: one
    /// <c>path=value</c> per present field, sorted (ordinal). Found by reflection over the generated
    /// classes: public fields and properties are the proto fields (named in PascalCase, with a
    /// trailing underscore where the name is the class's), optional fields are Nullables, oneof
    /// members are the properties named in a nested <c>...OneofCase</c> enum.
    /// </summary>
    internal static class ProtoFields
    {
        internal sealed class Member
        {
            public string Name;
            public string ProtoName;
            public Func<object, object> Get;
            // For a oneof member: reads which member of its oneof is set.
            public Func<object, object> Case;
            // A proto3 optional field (a Nullable): present when it has a value, even zero.
            public bool Optional;

            /// <summary>Whether the field is present: what protobuf's ListFields would list.</summary>
            public bool IsPresent(object message)
            {
                if (Case != null) return Case(message).ToString() == Name;
                var value = Get(message);
                if (value == null) return false; // an absent message, an empty Nullable
                if (Optional) return true;
                var list = value as IList;
                if (list != null) return list.Count > 0; // byte[] too
                var text = value as string;
                if (text != null) return text.Length > 0;
                if (value is IProtoMessage) return true;
                var type = value.GetType();
                return !value.Equals(Activator.CreateInstance(type));
            }
        }

        private static readonly Dictionary<Type, List<Member>> Cache = new Dictionary<Type, List<Member>>();

        public static List<Member> Members(Type type)
        {
            lock (Cache)
            {
                List<Member> members;
                if (Cache.TryGetValue(type, out members)) return members;
                members = new List<Member>();
                var oneofs = type.GetNestedTypes().Where(t => t.IsEnum && t.Name.EndsWith("OneofCase", StringComparison.Ordinal)).ToList();
                foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
                {
                    var f = field;
                    members.Add(new Member
                    {
                        Name = f.Name, ProtoName = Snake(f.Name), Get = m => f.GetValue(m),
                        Optional = Nullable.GetUnderlyingType(f.FieldType) != null,
                    });
                }
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    var p = property;
                    if (oneofs.Contains(p.PropertyType)) continue; // the ...Case property itself
                    var member = new Member
                    {
                        Name = p.Name, ProtoName = Snake(p.Name), Get = m => p.GetValue(m),
                        Optional = Nullable.GetUnderlyingType(p.PropertyType) != null,
                    };
                    var oneof = oneofs.FirstOrDefault(o => Enum.GetNames(o).Contains(p.Name));
                    if (oneof != null)
                    {
                        var caseProperty = type.GetProperty(oneof.Name.Substring(0, oneof.Name.Length - "OneofCase".Length) + "Case");
                        member.Case = m => caseProperty.GetValue(m);
                    }
                    members.Add(member);
                }
                Cache[type] = members;
                return members;
            }
        }

        private static string Snake(string name)
        {
            var b = new StringBuilder();
            foreach (char c in name.TrimEnd('_'))
            {
                if (char.IsUpper(c) && b.Length > 0) b.Append('_');
                b.Append(char.ToLowerInvariant(c));
            }
            return b.ToString();
        }

        public static List<string> Lines(IProtoMessage message)
        {
            var lines = new List<string>();
            Add(message, "", lines);
            lines.Sort(StringComparer.Ordinal);
            return lines;
        }

        private static void Add(object message, string prefix, List<string> lines)
        {
            foreach (var member in Members(message.GetType()))
            {
                if (!member.IsPresent(message)) continue;
                var value = member.Get(message);
                var path = prefix + member.ProtoName;
                var list = value as IList;
                if (list != null && !(value is byte[]))
                {
                    for (int i = 0; i < list.Count; i++) AddValue(list[i], path + "[" + i + "]", lines);
                }
                else
                {
                    AddValue(value, path, lines);
                }
            }
        }

        private static void AddValue(object value, string path, List<string> lines)
        {
            if (value is IProtoMessage)
            {
                lines.Add(path + "={}");
                Add(value, path + ".", lines);
            }
            else if (value is bool) lines.Add(path + "=" + ((bool)value ? "true" : "false"));
            else if (value is double) lines.Add(path + "=f64:" + BitConverter.DoubleToInt64Bits((double)value).ToString("x16"));
            else if (value is float) lines.Add(path + "=f32:" + BitConverter.ToInt32(BitConverter.GetBytes((float)value), 0).ToString("x8"));
            else if (value is string) lines.Add(path + "=utf8:" + Hex(Encoding.UTF8.GetBytes((string)value)));
            else if (value is byte[]) lines.Add(path + "=bytes:" + Hex((byte[])value));
            else if (value is Enum) lines.Add(path + "=" + Convert.ToInt64(value).ToString(CultureInfo.InvariantCulture));
            else lines.Add(path + "=" + Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        private static string Hex(byte[] bytes)
        {
            return BitConverter.ToString(bytes).Replace("-", "").ToLowerInvariant();
        }
    }
}
