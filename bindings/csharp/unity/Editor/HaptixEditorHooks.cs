using UnityEditor;

namespace Haptix.Unity.Editor
{
    /// <summary>
    /// Shuts every <see cref="HaptixManager"/> down when the editor leaves play mode, before an
    /// assembly reload (a reload with a live context would leave native threads calling into an
    /// unloaded domain) and when the editor quits. Registered at editor load.
    /// </summary>
    [InitializeOnLoad]
    public static class HaptixEditorHooks
    {
        static HaptixEditorHooks()
        {
            EditorApplication.playModeStateChanged += OnPlayModeStateChanged;
            AssemblyReloadEvents.beforeAssemblyReload += HaptixManager.ShutdownAll;
            EditorApplication.quitting += HaptixManager.ShutdownAll;
        }

        private static void OnPlayModeStateChanged(PlayModeStateChange change)
        {
            if (change == PlayModeStateChange.ExitingPlayMode) HaptixManager.ShutdownAll();
        }
    }
}
