/*
 * What the files of the tcp plugin share. Internal: hidden, never exported.
 */
#ifndef TCP_PLUGIN_H
#define TCP_PLUGIN_H

#include <stddef.h>

/* The addresses of one name tried in turn, at most. */
#define TCP_MAX_ADDRS 8

/* The plugin's operate hook (tcp_operate.c): one TCP connect. */
int tcp_operate(const char *address, const char *const *options, double deadline, char *err,
                size_t errlen);

#endif
