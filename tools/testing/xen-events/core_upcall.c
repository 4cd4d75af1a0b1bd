// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's events_upcall.c, compiled unmodified for the core program: the
 * shim events_kernel.h first (the kernel header's include guard), then the
 * kernel file, whose <linux/...> includes find include/linux/ (kcore.h).
 */
#include "events_kernel.h"

/* The kernel file names its messages itself, as the kernel builds it. */
#undef pr_fmt

#include "../../../drivers/xen/events/events_upcall.c"
