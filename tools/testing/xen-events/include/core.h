/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the core's own files compiled into the harness (events_abi.c, by
 * abi.c) use beyond the backends' shim (events_internal.h).  Written for
 * the harness from the kernel's documented behaviour.
 */
#ifndef XEN_EVENTS_SHIM_CORE_H
#define XEN_EVENTS_SHIM_CORE_H

#include "base.h"

/*
 * Equal strings, where either may end in one newline more (what a
 * write(2) to a sysfs file brings along).
 */
static inline bool sysfs_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	if (*a == '\n')
		a++;
	if (*b == '\n')
		b++;
	return !*a && !*b;
}

#endif /* XEN_EVENTS_SHIM_CORE_H */
