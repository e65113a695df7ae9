/* A module that is not an infraprobe plugin: no infraprobe_plugin symbol. */
#include <infraprobe/plugin.h>

IP_EXPORT int nosym_answer(void);

int nosym_answer(void)
{
    return 42;
}
