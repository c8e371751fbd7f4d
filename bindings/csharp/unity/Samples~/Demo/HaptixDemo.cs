using System.Linq;
using Haptix;
using Haptix.Unity;
using UnityEngine;

/// <summary>
/// The package's demo: add it next to a <see cref="HaptixManager"/> (with "LVS-Hush" in its
/// Simulated Devices, or real hardware), press Play, and use the buttons. Everything runs on the
/// main thread: the manager dispatches the client's events from Update().
/// </summary>
public sealed class HaptixDemo : MonoBehaviour
{
    [SerializeField] private HaptixManager manager = null;
    [Range(0f, 1f)] [SerializeField] private float level = 0.5f;

    private string status = "connecting...";

    private void Start()
    {
        if (manager == null) manager = FindObjectOfType<HaptixManager>();
        if (manager == null)
        {
            status = "no HaptixManager in the scene";
            return;
        }
        manager.Connected += client =>
        {
            status = "connected to " + client.ServerName + "; scanning...";
            client.DeviceAdded += (s, e) => status = "found " + e.Device.Label;
            client.DeviceRemoved += (s, e) => status = e.Device.Label + " left";
            client.Disconnected += (s, e) => status = "disconnected: " + e.Reason;
        };
        manager.ConnectFailed += e => status = "cannot connect: " + e.Message;
    }

    private async void Vibrate(float value)
    {
        var device = manager.Client == null ? null : manager.Client.Devices.FirstOrDefault(d => d.HasOutput(OutputType.Vibrate));
        if (device == null)
        {
            status = "no vibrating device yet";
            return;
        }
        try
        {
            await device.VibrateAsync(value);
            status = device.Label + " vibrates at " + Mathf.RoundToInt(value * 100) + "%";
        }
        catch (HaptixException e)
        {
            status = "refused: " + e.Message;
        }
    }

    private void OnGUI()
    {
        GUILayout.BeginArea(new Rect(10, 10, 360, 200));
        GUILayout.Label("Haptix demo: " + status);
        if (GUILayout.Button("Vibrate")) Vibrate(level);
        if (GUILayout.Button("Stop")) Vibrate(0f);
        GUILayout.EndArea();
    }
}
