// Run by NativeTests in a child process. Without arguments: loads the native library through the
// binding and prints the outcome (from a folder without the library, to check the error message;
// exit code 3: HaptixLibraryException). With "leave": starts a context and a busy client and
// returns from Main without disposing anything, to check that the process exits cleanly.
using System;
using System.Threading;
using Haptix;
using Haptix.Native;

internal static class LoadCheck
{
    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "leave")
        {
            var options = new ContextOptions();
            options.SimulatedDevices.Add(new SimulatedDevice("LVS-Hush", "hush-1"));
            options.SimulatedDevices.Add(new SimulatedDevice("Boost", "boost-1"));
            var context = new Context(options);
            var client = Client.ConnectEmbedded(context);
            client.StartScanning();
            while (client.Devices.Count < 2) Thread.Sleep(5);
            foreach (var d in client.Devices)
            {
                d.SendVibrate(0.5);
                if (d.HasInput(InputType.Pressure)) d.SubscribeAsync(InputType.Pressure, 0).Wait();
            }
            for (int i = 0; i < 100; i++)
            {
                client.InjectNotificationAsync("boost-1", "rxpressure", new byte[] { 0, 1, 4, 0, (byte)i, 1, 0 });
                client.PingAsync();
            }
            Console.WriteLine("leaving " + client.Devices.Count + " devices");
            return 0;
        }
        try
        {
            Library.EnsureLoaded();
            Console.WriteLine("loaded " + Library.Version);
            return 0;
        }
        catch (HaptixLibraryException e)
        {
            Console.WriteLine(e.Message);
            return 3;
        }
    }
}
