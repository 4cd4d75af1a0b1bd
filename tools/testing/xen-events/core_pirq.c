// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's events_pirq.c, compiled unmodified for the core program: the
 * shim events_kernel.h first (the kernel header's include guard), then the
 * kernel file, whose <linux/...>, <asm/...> and <xen/interface/physdev.h>
 * includes find include/ (kcore.h) and the ABI headers.
 */
#include "events_kernel.h"

/* The kernel file names its messages itself, as the kernel builds it. */
#undef pr_fmt

#include "../../../drivers/xen/events/events_pirq.c"
