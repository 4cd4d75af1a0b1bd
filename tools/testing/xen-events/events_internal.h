/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace replacement for drivers/xen/events/events_internal.h.
 *
 * The include guard is the SAME as the kernel header's: a harness
 * translation unit includes this file first and the kernel .c file after
 * it, so the backend's own #include "events_internal.h" finds the guard
 * defined and reads nothing.  The backend sources are compiled unmodified.
 *
 *   include/base.h      kernel basics re-done in C (types, bitops, atomics)
 *   include/custom.h    facilities customised for testing (printk/WARN
 *                       counting, per-CPU data, vCPU identity, pages)
 *   include/xen_shim.h  the Xen helpers, on top of the model hypervisor
 *   include/dup.h       the seam's contract, duplicated and checked
 */
#ifndef __XEN_EVENTS_INTERNAL_H
#define __XEN_EVENTS_INTERNAL_H

#include "include/custom.h"
#include "include/xen_shim.h"
#include "include/dup.h"

#endif /* __XEN_EVENTS_INTERNAL_H */
