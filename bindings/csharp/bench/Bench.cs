// The C# binding's benchmark (not a test): sequential commands per second and p50/p99
// call->response latency for (a) the raw P/Invoke layer and (b) the idiomatic API, then the same
// with 1,024 requests in flight, then what the poll path allocates per command. Everything runs
// against the embedded server and a simulated Lovense Hush (no hardware, no network).
// Run it with scripts/bench-csharp.sh. Usage: Bench.exe [COMMANDS]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using Haptix.Native;
using Event = Haptix.Proto.Event;
using Output = Haptix.Proto.Output;
using Request = Haptix.Proto.Request;

internal static class Bench
{
    private const int InFlight = 1024;
    private static int commands = 20000;

    private static double Ms(long ticks) { return ticks * 1000.0 / Stopwatch.Frequency; }

    private static void Report(string what, int count, long elapsedTicks, long[] latencies)
    {
        Array.Sort(latencies);
        double seconds = elapsedTicks / (double)Stopwatch.Frequency;
        Console.WriteLine("  {0,-46} {1,9:N0} cmd/s   p50 {2,8:F3} ms   p99 {3,8:F3} ms", what, count / seconds,
            Ms(latencies[latencies.Length / 2]), Ms(latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]));
    }

    private static byte[] VibrateBytes(uint device, double level, ulong id)
    {
        return new Request { Id = id, Output = new Output { DeviceIndex = device, OutputType = OutputType.Vibrate, Level = level } }.ToByteArray();
    }

    // Every side of a comparison runs blocks of BlockSize commands in turn, so that the load of a
    // shared machine hits all of them alike; a row adds up its own blocks.
    private const int BlockSize = 50;

    private sealed class Side
    {
        public readonly string Name;
        // Runs commands [start, start + n), writing each one's call->response time to Latencies.
        public readonly Action<Side, int, int> Block;
        public readonly long[] Latencies;
        public long Ticks;

        public Side(string name, int count, Action<Side, int, int> block)
        {
            Name = name;
            Latencies = new long[count];
            Block = block;
        }
    }

    private static void TakeTurns(int count, bool report, params Side[] sides)
    {
        foreach (var side in sides) side.Ticks = 0;
        for (int start = 0; start < count; start += BlockSize)
        {
            int n = Math.Min(BlockSize, count - start);
            foreach (var side in sides)
            {
                long t0 = Stopwatch.GetTimestamp();
                side.Block(side, start, n);
                side.Ticks += Stopwatch.GetTimestamp() - t0;
            }
        }
        if (!report) return;
        foreach (var side in sides) Report(side.Name, count, side.Ticks, side.Latencies);
    }

    // ---- (a) the raw P/Invoke layer: send + haptix_client_next_event on a poll-mode client

    private static Event NextResponse(ClientHandle raw)
    {
        while (true)
        {
            HaptixBuffer buffer;
            int status = NativeMethods.haptix_client_next_event(raw, NativeMethods.WaitForever, out buffer);
            if (status != 0) throw new HaptixException((Status)status, "next_event: " + NativeMethods.LastErrorMessage());
            Event ev;
            try { ev = Event.Parse(buffer.ToArray()); }
            finally { NativeMethods.haptix_buffer_free(ref buffer); }
            if (ev.KindCase == Event.KindOneofCase.Response)
            {
                if (ev.Response.Status != 0) throw new HaptixException((Status)ev.Response.Status, ev.Response.Message);
                return ev;
            }
        }
    }

    private static Side RawSequential(ClientHandle raw, uint device, int count)
    {
        var requests = new[] { VibrateBytes(device, 0.25, 0), VibrateBytes(device, 0.5, 0) };
        return new Side("raw: send + next_event, sequential", count, (side, start, n) =>
        {
            for (int i = start; i < start + n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var bytes = requests[i & 1];
                ulong id;
                HaptixException.ThrowIfFailed(NativeMethods.haptix_client_send(raw, bytes, (UIntPtr)bytes.Length, out id));
                NextResponse(raw);
                side.Latencies[i] = Stopwatch.GetTimestamp() - t0;
            }
        });
    }

    private static bool HasCall(ClientHandle raw)
    {
        try
        {
            HaptixBuffer buffer;
            // A NULL request is refused at once, by a library that has the function.
            NativeMethods.haptix_client_call(raw, null, UIntPtr.Zero, 0, out buffer);
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static Side RawCallSequential(ClientHandle raw, uint device, int count)
    {
        var requests = new[] { VibrateBytes(device, 0.25, 0), VibrateBytes(device, 0.5, 0) };
        return new Side("raw: haptix_client_call, sequential", count, (side, start, n) =>
        {
            for (int i = start; i < start + n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var bytes = requests[i & 1];
                HaptixBuffer buffer;
                HaptixException.ThrowIfFailed(NativeMethods.haptix_client_call(raw, bytes, (UIntPtr)bytes.Length, NativeMethods.WaitForever, out buffer));
                NativeMethods.haptix_buffer_free(ref buffer);
                side.Latencies[i] = Stopwatch.GetTimestamp() - t0;
            }
        });
    }

    private static void RawInFlightRound(ClientHandle raw, uint device, long[] latencies, int offset, long[] sent, ref ulong nextId)
    {
        ulong first = nextId;
        for (int i = 0; i < InFlight; i++)
        {
            var bytes = VibrateBytes(device, (i & 1) == 0 ? 0.25 : 0.5, nextId++);
            sent[i] = Stopwatch.GetTimestamp();
            ulong id;
            HaptixException.ThrowIfFailed(NativeMethods.haptix_client_send(raw, bytes, (UIntPtr)bytes.Length, out id));
        }
        for (int i = 0; i < InFlight; i++)
        {
            var ev = NextResponse(raw);
            latencies[offset + i] = Stopwatch.GetTimestamp() - sent[(int)(ev.RequestId - first)];
        }
    }

    // ---- (b) the idiomatic API

    private static Side TaskSequential(Device hush, int count)
    {
        return new Side("idiomatic: VibrateAsync().Wait(), sequential", count, (side, start, n) =>
        {
            for (int i = start; i < start + n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                hush.VibrateAsync((i & 1) == 0 ? 0.25 : 0.5).Wait();
                side.Latencies[i] = Stopwatch.GetTimestamp() - t0;
            }
        });
    }

    private static async Task AwaitBlock(Device hush, long[] latencies, int start, int n)
    {
        for (int i = start; i < start + n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            await hush.VibrateAsync((i & 1) == 0 ? 0.25 : 0.5).ConfigureAwait(false);
            latencies[i] = Stopwatch.GetTimestamp() - t0;
        }
    }

    private static Side AwaitSequential(Device hush, int count)
    {
        return new Side("idiomatic: await VibrateAsync(), sequential", count,
            (side, start, n) => AwaitBlock(hush, side.Latencies, start, n).Wait());
    }

    private static Side SyncSequential(Device hush, int count)
    {
        return new Side("idiomatic: Vibrate() (haptix_client_call)", count, (side, start, n) =>
        {
            for (int i = start; i < start + n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                hush.Vibrate((i & 1) == 0 ? 0.25 : 0.5);
                side.Latencies[i] = Stopwatch.GetTimestamp() - t0;
            }
        });
    }

    private static void TaskInFlightRound(Device hush, long[] latencies, int offset, Task[] tasks)
    {
        for (int i = 0; i < InFlight; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int slot = offset + i;
            tasks[i] = hush.VibrateAsync((i & 1) == 0 ? 0.25 : 0.5)
                .ContinueWith(t => latencies[slot] = Stopwatch.GetTimestamp() - start, TaskContinuationOptions.ExecuteSynchronously);
        }
        Task.WaitAll(tasks);
    }

    // The two layers take turns, a round of 1,024 each.
    private static void InFlightRows(ClientHandle raw, Device hush, int rounds)
    {
        var rawLatencies = new long[rounds * InFlight];
        var taskLatencies = new long[rounds * InFlight];
        var sent = new long[InFlight];
        var tasks = new Task[InFlight];
        ulong nextId = 1;
        long rawTicks = 0, taskTicks = 0;
        for (int r = 0; r < rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            RawInFlightRound(raw, hush.Index, rawLatencies, r * InFlight, sent, ref nextId);
            long t1 = Stopwatch.GetTimestamp();
            TaskInFlightRound(hush, taskLatencies, r * InFlight, tasks);
            long t2 = Stopwatch.GetTimestamp();
            rawTicks += t1 - t0;
            taskTicks += t2 - t1;
        }
        Report("raw: 1,024 in flight", rounds * InFlight, rawTicks, rawLatencies);
        Report("idiomatic: 1,024 VibrateAsync in flight", rounds * InFlight, taskTicks, taskLatencies);
    }

    // ---- allocations

    private static readonly MethodInfo AllocatedBytes = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread", BindingFlags.Public | BindingFlags.Static);

    private static long ThreadAllocated()
    {
        return AllocatedBytes == null ? -1 : (long)AllocatedBytes.Invoke(null, null);
    }

    private static void Allocations(string what, Client client, Action<int> command, int count)
    {
        for (int i = 0; i < 1000; i++) command(i);
        client.Ping();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int gen0 = GC.CollectionCount(0);
        long heap = GC.GetTotalMemory(false);
        long thread = ThreadAllocated();
        for (int i = 0; i < count; i++) command(i);
        long threadAfter = ThreadAllocated();
        client.Ping(); // responses are in order: every command above has been answered
        long heapAfter = GC.GetTotalMemory(false);
        int collections = GC.CollectionCount(0) - gen0;
        Console.WriteLine("  {0,-46} {1} gen0 GCs, heap {2:+#,0;-#,0;0} B ({3:F1} B/cmd){4}", what, collections, heapAfter - heap,
            (heapAfter - heap) / (double)count,
            thread >= 0 ? string.Format(", sending thread allocated {0:F1} B/cmd", (threadAfter - thread) / (double)count) : "");
    }

    private static int Main(string[] args)
    {
        if (args.Length > 0) commands = int.Parse(args[0]);
        Library.EnsureLoaded();
        Console.WriteLine("Haptix C# benchmark: {0} {1}, Mono {2}, {3} commands per row, embedded server, simulated Lovense Hush",
            Library.ExpectedFileName, Library.Version, Type.GetType("Mono.Runtime") != null ? Environment.Version.ToString() : "?", commands);
        var options = new ContextOptions();
        options.SimulatedDevices.Add(new SimulatedDevice("LVS-Hush", "bench-hush"));
        using (var context = new Context(options))
        using (var client = Client.ConnectEmbedded(context, "C# bench"))
        {
            client.StartScanning();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (client.Devices.Count == 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
            if (client.Devices.Count == 0)
            {
                Console.Error.WriteLine("bench: the simulated toy was not found");
                return 1;
            }
            var hush = client.Devices[0];
            client.StopScanning();

            ClientHandle raw;
            HaptixException.ThrowIfFailed(NativeMethods.haptix_client_new(context.NativeHandle, null, UIntPtr.Zero, out raw));
            using (raw)
            {
                HaptixBuffer first;
                HaptixException.ThrowIfFailed(NativeMethods.haptix_client_next_event(raw, 30000, out first));
                NativeMethods.haptix_buffer_free(ref first);

                bool call = HasCall(raw);
                if (!call) Console.WriteLine("  (this library has no haptix_client_call: its rows are left out)");
                var sides = new List<Side> { RawSequential(raw, hush.Index, commands) };
                if (call) sides.Add(RawCallSequential(raw, hush.Index, commands));
                sides.Add(TaskSequential(hush, commands));
                sides.Add(AwaitSequential(hush, commands));
                if (call) sides.Add(SyncSequential(hush, commands));
                // Warm up every side (JIT, the device's writer).
                TakeTurns(Math.Min(commands, 1000), false, sides.ToArray());

                Console.WriteLine("sequential (one command at a time, each waits for its response; the rows take turns in blocks of {0}):", BlockSize);
                TakeTurns(commands, true, sides.ToArray());
                Console.WriteLine("1,024 in flight (the two rows take turns, a round each):");
                InFlightRows(raw, hush, Math.Max(1, commands / InFlight));
            }
            Console.WriteLine("allocations per command ({0} commands, then one Ping to drain the responses):", commands);
            Allocations("poll path: SendVibrate (fire and forget)", client, i => hush.SendVibrate((i & 1) == 0 ? 0.25 : 0.5), commands);
            Allocations("VibrateAsync (a task per command)", client, i => hush.VibrateAsync((i & 1) == 0 ? 0.25 : 0.5), commands);
        }
        return 0;
    }
}
