// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fifo backend, compiled unmodified against the shim: events_kernel.h
 * here has the kernel header's include guard, so the backend's own
 * #include "events_kernel.h" reads nothing, and every other header it
 * includes is the kernel's.
 */
#include "events_kernel.h"
#include "../../../drivers/xen/events/events_fifo.c"
