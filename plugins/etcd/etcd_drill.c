/* placeholder */
#include "etcd_plugin.h"

void etcd_drill(struct etcd_run *r)
{
    (void)r;
}
