// The idiomatic API against a scripted Buttplug server (ScriptedServer): the events the
// library's own server never sends (ScanningFinished, Error outside a request), a request left
// unanswered and cancelled by its token, a handshake that never ends.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using NUnit.Framework;

namespace Haptix.Tests
{
    [TestFixture]
    public class ScriptedServerTests
    {
        [Test, Timeout(60000)]
        public void ScanningFinishedAndServerErrorsAreRaisedOnTheDispatchingThread()
        {
            using (var server = new ScriptedServer())
            using (var local = new Context())
            {
                var connect = Client.ConnectAsync(local, server.Url, "scripted");
                T.Done(connect, "connect to the scripted server");
                using (var client = connect.Result)
                {
                    Assert.AreEqual("Scripted", client.ServerName);
                    int self = Thread.CurrentThread.ManagedThreadId;
                    var finished = new List<int>();
                    var errors = new List<ErrorEventArgs>();
                    client.ScanningFinished += (s, e) => finished.Add(Thread.CurrentThread.ManagedThreadId);
                    client.ErrorReceived += (s, e) =>
                    {
                        Assert.AreEqual(self, Thread.CurrentThread.ManagedThreadId);
                        errors.Add(e);
                    };
                    T.Done(client.StartScanningAsync(), "start scanning");
                    server.Send("[{\"ScanningFinished\":{\"Id\":0}},{\"Error\":{\"Id\":0,\"ErrorCode\":0,\"ErrorMessage\":\"the scripted server is unwell\"}}]");
                    T.WaitUntil(() => finished.Count == 1 && errors.Count == 1, "ScanningFinished and ErrorReceived", client);
                    CollectionAssert.AreEqual(new[] { self }, finished);
                    Assert.AreEqual(Status.ErrorServer, errors[0].Status);
                    StringAssert.Contains("the scripted server is unwell", errors[0].Message);
                    // Neither ended the connection.
                    client.Ping();
                    Assert.IsTrue(client.IsConnected);
                }
            }
        }

        [Test, Timeout(60000)]
        public void ATokenCancelsAPendingRequestAndItsLateAnswerIsIgnored()
        {
            long unanswered = -1;
            using (var server = new ScriptedServer((name, id) =>
            {
                if (name != "Ping" || Interlocked.CompareExchange(ref unanswered, id, -1) != -1) return null;
                return ScriptedServer.NoReply;
            }))
            using (var local = new Context())
            {
                var connect = Client.ConnectAsync(local, server.Url, "scripted");
                T.Done(connect, "connect to the scripted server");
                using (var client = connect.Result)
                {
                    var cts = new CancellationTokenSource();
                    var ping = client.PingAsync(cts.Token);
                    long id = server.WaitFor("Ping");
                    Assert.IsFalse(ping.IsCompleted, "the unanswered ping completed");
                    cts.Cancel();
                    T.Completes(ping, "the cancelled ping");
                    Assert.IsTrue(ping.IsCanceled, ping.Status.ToString());
                    // The answer comes after all: nothing completes twice, nothing is raised.
                    server.Send("[{\"Ok\":{\"Id\":" + id + "}}]");
                    client.Ping();
                    Assert.AreEqual(0, client.DispatchEvents());
                    Assert.IsTrue(client.IsConnected);
                }
            }
        }

        [Test, Timeout(60000)]
        public void CancellingAConnectionWhoseHandshakeNeverEndsCancelsItAndFreesTheClient()
        {
            using (var server = new ScriptedServer((name, id) => ScriptedServer.NoReply))
            using (var local = new Context())
            {
                long released = Client.ReleasedRegistrations;
                var cts = new CancellationTokenSource();
                var connect = Client.ConnectAsync(local, server.Url, "scripted", 0, cts.Token);
                server.WaitFor("RequestServerInfo");
                Assert.IsFalse(connect.IsCompleted, "the connection completed without a handshake");
                cts.Cancel();
                T.Completes(connect, "the cancelled connection");
                Assert.IsTrue(connect.IsCanceled, connect.Status.ToString());
                T.WaitUntil(() => Client.ReleasedRegistrations > released, "the cancelled client is freed");
            }
        }
    }
}
