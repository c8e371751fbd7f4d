// The Haptix demo from C#: an embedded server with a simulated Lovense Hush, a client that scans
// for it and plays a short pattern, and what the toy received after each command. Needs no
// hardware. Run it with scripts/demo-csharp.sh, which builds the library and this program.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Haptix;
using Haptix.Native;

internal static class Demo
{
    private const string Toy = "LVS-Hush";
    private const string Address = "demo-hush";

    private static string Received(IReadOnlyList<Haptix.Proto.Write> writes)
    {
        if (writes.Count == 0) return "the toy received nothing (unchanged)";
        return "the toy received " + string.Join(", ", writes.Select(w => w.Endpoint + " \"" + Encoding.ASCII.GetString(w.Data) + "\""));
    }

    // The write happens just after the command's response: poll briefly.
    private static IReadOnlyList<Haptix.Proto.Write> TakeWrites(Client client, int waitMs)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(waitMs);
        while (true)
        {
            var writes = client.TakeWrites(Address);
            if (writes.Count > 0 || DateTime.UtcNow > deadline) return writes;
            Thread.Sleep(10);
        }
    }

    private static async Task<int> Run()
    {
        try
        {
            Library.EnsureLoaded();
        }
        catch (HaptixLibraryException e)
        {
            Console.Error.WriteLine("haptix demo: " + e.Message);
            return 1;
        }
        Console.WriteLine("Haptix demo from C# (Mono): " + Library.ExpectedFileName + " " + Library.Version + ", C ABI " + NativeMethods.AbiVersion + ".");
        Console.WriteLine("An embedded server with a simulated toy (" + Toy + "), driven by a client through the C ABI.");

        var options = new ContextOptions();
        options.SimulatedDevices.Add(new SimulatedDevice(Toy, Address));
        using (var context = new Context(options))
        using (var client = Client.ConnectEmbedded(context, "haptix C# demo"))
        {
            Console.WriteLine("connected to '" + client.ServerName + "' (message spec v" + client.SpecVersion + ")");
            Device device = null;
            client.DeviceAdded += (sender, e) =>
            {
                device = e.Device;
                Console.WriteLine("found device " + e.Device.Index + ": " + e.Device.Label);
            };
            await client.StartScanningAsync();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (device == null && DateTime.UtcNow < deadline)
            {
                client.DispatchEvents(); // poll mode: handlers run here, on this thread
                Thread.Sleep(10);
            }
            if (device == null)
            {
                Console.Error.WriteLine("haptix demo: the simulated toy was not found");
                return 1;
            }
            await client.StopScanningAsync();
            foreach (var feature in device.Features)
            {
                var parts = feature.Outputs.Select(o => o.OutputType.ToString().ToLowerInvariant() + " 0-" + o.Value.Max)
                    .Concat(feature.Inputs.Select(i => i.InputType.ToString().ToLowerInvariant() + " input"));
                Console.WriteLine("  feature " + feature.Index + ": " + string.Join(", ", parts));
            }
            var handshake = client.TakeWrites(Address);
            if (handshake.Count > 0) Console.WriteLine("  " + "(identification)".PadRight(22) + " -> " + Received(handshake));

            foreach (var level in new[] { 0.25, 0.5, 1.0, 0.5 })
            {
                await device.VibrateAsync(level);
                Console.WriteLine("  " + ("vibrate " + (int)(level * 100) + "%").PadRight(22) + " -> " + Received(TakeWrites(client, 500)));
            }
            double battery = await device.BatteryAsync();
            Console.WriteLine("  " + ("battery read: " + (int)Math.Round(battery * 100) + "%").PadRight(22) + " -> " + Received(TakeWrites(client, 500)));
            await device.StopAsync();
            Console.WriteLine("  " + "stop".PadRight(22) + " -> " + Received(TakeWrites(client, 500)));
            try
            {
                await device.VibrateAsync(double.NaN);
            }
            catch (HaptixException e)
            {
                Console.WriteLine("  " + "vibrate NaN".PadRight(22) + " -> refused (" + e.Status + ": " + e.Message + "); " + Received(TakeWrites(client, 100)));
            }
            await client.DisconnectAsync();
            client.DispatchEvents();
            Console.WriteLine("disconnected; shutting down");
        }
        Console.WriteLine("done.");
        return 0;
    }

    private static int Main()
    {
        return Run().GetAwaiter().GetResult();
    }
}
