// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 2l backend, compiled unmodified against the shim: events_internal.h
 * here has the kernel header's include guard, so the backend's own
 * #include "events_internal.h" reads nothing.
 */
#include "events_internal.h"
#include "../../../drivers/xen/events/events_2l.c"
