// Loads the native library through the binding and prints the outcome; run by NativeTests from a
// folder without the library to check the error message. Exit code 3: HaptixLibraryException.
using System;
using Haptix;
using Haptix.Native;

internal static class LoadCheck
{
    private static int Main()
    {
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
