#include "kafka_plugin.h"
void kafka_drill(struct kafka_run *r)
{
    (void)r;
}
