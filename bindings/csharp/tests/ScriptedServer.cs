// A scripted Buttplug server (spec v4 over WebSocket on 127.0.0.1, one connection), for the cases
// the library's own server never produces: ScanningFinished and Error messages outside any
// request, requests that are never answered, a handshake that never ends. Minimal on purpose: the
// WebSocket handshake and text frames of RFC 6455, and the Buttplug message name and Id read with
// regular expressions.
using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Haptix.Tests
{
    internal sealed class ScriptedServer : IDisposable
    {
        /// <summary>What the script does with a request: its reply (a JSON array), or null for none.</summary>
        public delegate string Script(string name, long id);

        private static readonly Regex NamePattern = new Regex("^\\s*\\[\\s*\\{\\s*\"(\\w+)\"");
        private static readonly Regex IdPattern = new Regex("\"Id\"\\s*:\\s*(\\d+)");

        private readonly TcpListener listener;
        private readonly Thread thread;
        private readonly Script script;
        private readonly object writeGate = new object();
        private volatile TcpClient connection;
        private Stream stream;
        private volatile bool stopping;

        /// <summary>
        /// Starts listening on a free loopback port. <paramref name="script"/> answers each
        /// request; null (or a null reply) falls back to <see cref="Default"/> for the handshake
        /// and Ok for everything else.
        /// </summary>
        public ScriptedServer(Script script = null)
        {
            this.script = script;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            thread = new Thread(Run) { IsBackground = true, Name = "scripted Buttplug server" };
            thread.Start();
        }

        /// <summary>The URL to connect to.</summary>
        public string Url { get { return "ws://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port; } }

        /// <summary>Every request received, as "Name Id", in order.</summary>
        public readonly BlockingCollection<string> Received = new BlockingCollection<string>();

        /// <summary>Set once the WebSocket handshake is done.</summary>
        public readonly ManualResetEventSlim Upgraded = new ManualResetEventSlim();

        /// <summary>A spec v4 server's reply: the handshake, an empty device list, Ok for the rest.</summary>
        public static string Default(string name, long id)
        {
            switch (name)
            {
                case "RequestServerInfo":
                    return "[{\"ServerInfo\":{\"Id\":" + id + ",\"ServerName\":\"Scripted\",\"ProtocolVersionMajor\":4,\"ProtocolVersionMinor\":0,\"MaxPingTime\":0}}]";
                case "RequestDeviceList":
                    return "[{\"DeviceList\":{\"Id\":" + id + ",\"Devices\":{}}}]";
                default:
                    return "[{\"Ok\":{\"Id\":" + id + "}}]";
            }
        }

        /// <summary>Marks a request that the script leaves unanswered.</summary>
        public const string NoReply = "";

        /// <summary>Sends a text message on the connection (any thread).</summary>
        public void Send(string json)
        {
            var payload = Encoding.UTF8.GetBytes(json);
            var header = new MemoryStream();
            header.WriteByte(0x81); // FIN, text
            if (payload.Length < 126)
            {
                header.WriteByte((byte)payload.Length);
            }
            else if (payload.Length <= ushort.MaxValue)
            {
                header.WriteByte(126);
                header.WriteByte((byte)(payload.Length >> 8));
                header.WriteByte((byte)payload.Length);
            }
            else
            {
                header.WriteByte(127);
                for (int shift = 56; shift >= 0; shift -= 8) header.WriteByte((byte)((long)payload.Length >> shift));
            }
            lock (writeGate)
            {
                if (stream == null) throw new InvalidOperationException("no connection yet");
                stream.Write(header.ToArray(), 0, (int)header.Length);
                stream.Write(payload, 0, payload.Length);
                stream.Flush();
            }
        }

        private void Run()
        {
            try
            {
                connection = listener.AcceptTcpClient();
                var s = connection.GetStream();
                if (!Upgrade(s)) return;
                lock (writeGate) stream = s;
                Upgraded.Set();
                while (!stopping)
                {
                    string text = ReadMessage(s);
                    if (text == null) return;
                    var name = NamePattern.Match(text);
                    var id = IdPattern.Match(text);
                    if (!name.Success || !id.Success) continue;
                    long requestId = long.Parse(id.Groups[1].Value);
                    Received.Add(name.Groups[1].Value + " " + requestId);
                    string reply = script == null ? null : script(name.Groups[1].Value, requestId);
                    if (reply == null) reply = Default(name.Groups[1].Value, requestId);
                    if (reply.Length > 0) Send(reply);
                }
            }
            catch (Exception)
            {
                // The test ended the connection (Dispose) or the client went away.
            }
        }

        private static bool Upgrade(Stream s)
        {
            var request = new StringBuilder();
            while (!request.ToString().EndsWith("\r\n\r\n"))
            {
                int b = s.ReadByte();
                if (b < 0) return false;
                request.Append((char)b);
            }
            var key = Regex.Match(request.ToString(), "Sec-WebSocket-Key:\\s*(\\S+)", RegexOptions.IgnoreCase);
            if (!key.Success) return false;
            string accept;
            using (var sha1 = SHA1.Create())
            {
                accept = Convert.ToBase64String(sha1.ComputeHash(Encoding.ASCII.GetBytes(key.Groups[1].Value + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            }
            var response = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
            s.Write(response, 0, response.Length);
            return true;
        }

        private static void ReadExactly(Stream s, byte[] buffer, int count)
        {
            int done = 0;
            while (done < count)
            {
                int n = s.Read(buffer, done, count - done);
                if (n <= 0) throw new EndOfStreamException();
                done += n;
            }
        }

        /// <summary>The next text message (fragments joined), or null when the client closed.</summary>
        private string ReadMessage(Stream s)
        {
            var message = new MemoryStream();
            var two = new byte[2];
            while (true)
            {
                ReadExactly(s, two, 2);
                bool fin = (two[0] & 0x80) != 0;
                int opcode = two[0] & 0x0F;
                long length = two[1] & 0x7F;
                if (length >= 126)
                {
                    var ext = new byte[length == 126 ? 2 : 8];
                    ReadExactly(s, ext, ext.Length);
                    length = 0;
                    foreach (var b in ext) length = (length << 8) | b;
                }
                var mask = new byte[4];
                if ((two[1] & 0x80) != 0) ReadExactly(s, mask, 4);
                var payload = new byte[length];
                ReadExactly(s, payload, payload.Length);
                for (int i = 0; i < payload.Length; i++) payload[i] ^= mask[i & 3];
                if (opcode == 0x8) return null;
                if (opcode == 0x9)
                {
                    lock (writeGate)
                    {
                        s.WriteByte(0x8A);
                        s.WriteByte((byte)payload.Length);
                        s.Write(payload, 0, payload.Length);
                    }
                    continue;
                }
                if (opcode == 0xA) continue;
                message.Write(payload, 0, payload.Length);
                if (fin) return Encoding.UTF8.GetString(message.ToArray());
            }
        }

        /// <summary>Waits (hang guard) for a request of this name and returns its Id.</summary>
        public long WaitFor(string name)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(T.HangGuardMs);
            string item;
            while (Received.TryTake(out item, Math.Max(0, (int)(deadline - DateTime.UtcNow).TotalMilliseconds)))
            {
                if (item.StartsWith(name + " ")) return long.Parse(item.Substring(name.Length + 1));
            }
            NUnit.Framework.Assert.Fail("hang guard: the scripted server received no " + name);
            return -1;
        }

        /// <summary>Closes the connection and stops listening.</summary>
        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            if (connection != null) connection.Close();
            thread.Join(T.HangGuardMs);
        }
    }
}
