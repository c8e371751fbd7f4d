/* Stand-ins for the native library, for the C# binding's load checks (NativeTests): built by
 * scripts/test-csharp.sh under the library's own file name, in folders of their own.
 *
 *   -DHAPTIX_FAKE_ABI=N   exports haptix_abi_version() returning N: a Haptix library of
 *                         another ABI, which the binding must refuse at load.
 *   (no define)           exports nothing the binding looks for: some other library that
 *                         happens to carry the name.
 */
#include <stdint.h>

#ifdef HAPTIX_FAKE_ABI
uint32_t haptix_abi_version(void) { return HAPTIX_FAKE_ABI; }
#else
int haptix_fake_unrelated(void) { return 0; }
#endif
