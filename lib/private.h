/*
 * IP_PRIVATE marks what libinfraprobe exports for the infraprobe program and the unit tests
 * only: visible in the shared library, absent from plugin.h, so never part of the SDK.
 */
#ifndef IP_CORE_PRIVATE_H
#define IP_CORE_PRIVATE_H

#define IP_PRIVATE __attribute__((visibility("default")))

#endif
