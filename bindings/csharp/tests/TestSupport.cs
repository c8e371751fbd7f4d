// Helpers shared by the NUnit tests of the Haptix C# binding.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using NUnit.Framework;

namespace Haptix.Tests
{
    /// <summary>Waiting helpers. Every wait has a generous hang guard (a failure, never a timing assertion).</summary>
    internal static class T
    {
        /// <summary>How long a test waits for something that should happen at once before it calls it a hang.</summary>
        public const int HangGuardMs = 30000;

        public const string Hush = "hush-1";

        /// <summary>A context with a simulated Lovense Hush at address "hush-1" (plus extra devices).</summary>
        public static Context NewContext(params SimulatedDevice[] extra)
        {
            var options = new ContextOptions();
            options.SimulatedDevices.Add(new SimulatedDevice("LVS-Hush", Hush));
            options.SimulatedDevices.AddRange(extra);
            return new Context(options);
        }

        /// <summary>Polls <paramref name="condition"/>, dispatching the client's events between polls.</summary>
        public static void WaitUntil(Func<bool> condition, string what, Client dispatch = null)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(HangGuardMs);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) Assert.Fail("hang guard: " + what + " did not happen within " + HangGuardMs + " ms");
                if (dispatch != null) dispatch.DispatchEvents();
                Thread.Sleep(5);
            }
        }

        /// <summary>Waits for a task to complete (hang guard) and returns it.</summary>
        public static Task Done(Task task, string what, bool expectFailure = false)
        {
            if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(HangGuardMs) && !task.IsCompleted)
            {
                Assert.Fail("hang guard: " + what + " did not complete");
            }
            if (task.IsFaulted && !expectFailure)
            {
                Assert.Fail(what + " failed: " + task.Exception.GetBaseException());
            }
            return task;
        }

        /// <summary>Waits for a task that may fail (hang guard) and returns it.</summary>
        public static Task Completes(Task task, string what)
        {
            return Done(task, what, true);
        }

        /// <summary>Scans until a device with this address is connected.</summary>
        public static Device FindDevice(Client client, string address)
        {
            client.StartScanning();
            Device found = null;
            WaitUntil(() => (found = client.Devices.FirstOrDefault(d => d.Address == address)) != null, "device " + address + " found", client);
            return found;
        }

        /// <summary>What a virtual device received, polling until something was written (the write follows the response).</summary>
        public static List<string> Writes(Client client, string address)
        {
            var result = new List<string>();
            WaitUntil(() =>
            {
                result.AddRange(client.TakeWrites(address).Select(Describe));
                return result.Count > 0;
            }, "a write to " + address);
            return result;
        }

        /// <summary>Clears what a virtual device received so far (identification, battery reads).</summary>
        public static void ClearWrites(Client client, string address)
        {
            Thread.Sleep(50);
            client.TakeWrites(address);
        }

        /// <summary>"endpoint text" for printable data, "endpoint hex:.." otherwise.</summary>
        public static string Describe(Haptix.Proto.Write w)
        {
            bool printable = w.Data.All(b => b >= 0x20 && b < 0x7f);
            return w.Endpoint + " " + (printable ? Encoding.ASCII.GetString(w.Data) : "hex:" + BitConverter.ToString(w.Data).Replace("-", "").ToLowerInvariant());
        }

        /// <summary>Runs <paramref name="action"/>'s task and returns the exception it failed with (unwrapped).</summary>
        public static TException Fails<TException>(Func<Task> action, string what) where TException : Exception
        {
            Task task;
            try
            {
                task = action();
            }
            catch (TException e)
            {
                return e;
            }
            Completes(task, what);
            Assert.IsTrue(task.IsFaulted || task.IsCanceled, what + ": expected a failure, got success");
            if (task.IsCanceled)
            {
                Assert.Fail(what + ": cancelled instead of failing with " + typeof(TException).Name);
            }
            var inner = task.Exception.GetBaseException();
            Assert.IsInstanceOf<TException>(inner, what + ": " + inner);
            return (TException)inner;
        }

        /// <summary>A folder given by an environment variable, or null when the variable is unset.</summary>
        public static string EnvFolder(string name)
        {
            var v = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrEmpty(v) ? null : v;
        }
    }

    /// <summary>A SynchronizationContext with one thread of its own (like a UI or game thread).</summary>
    internal sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly Queue<KeyValuePair<SendOrPostCallback, object>> work = new Queue<KeyValuePair<SendOrPostCallback, object>>();
        private readonly Thread thread;
        private bool stop;

        public SingleThreadContext()
        {
            thread = new Thread(Run) { IsBackground = true, Name = "test sync context" };
            thread.Start();
        }

        public int ThreadId { get { return thread.ManagedThreadId; } }

        public override void Post(SendOrPostCallback d, object state)
        {
            lock (work)
            {
                work.Enqueue(new KeyValuePair<SendOrPostCallback, object>(d, state));
                Monitor.PulseAll(work);
            }
        }

        private void Run()
        {
            SetSynchronizationContext(this);
            while (true)
            {
                KeyValuePair<SendOrPostCallback, object> item;
                lock (work)
                {
                    while (work.Count == 0 && !stop) Monitor.Wait(work);
                    if (work.Count == 0) return;
                    item = work.Dequeue();
                }
                item.Key(item.Value);
            }
        }

        public void Dispose()
        {
            lock (work)
            {
                stop = true;
                Monitor.PulseAll(work);
            }
            thread.Join(T.HangGuardMs);
        }
    }
}
