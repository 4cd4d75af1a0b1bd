/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace replacement for drivers/xen/events/events_kernel.h, the one
 * header of the event channel code that the harness replaces: the kernel
 * facilities the backends use.
 *
 * The include guard is the SAME as the kernel header's.  Every harness
 * translation unit includes this file first; when a kernel file then does
 * #include "events_kernel.h", the kernel header is opened but its body is
 * skipped.  Everything else is the kernel's own and compiled unmodified:
 * the backends, the contract (events_internal.h), events_ops.h and
 * events_bitmap.h.  So nothing here may declare what those headers do.
 *
 *   include/base.h      kernel basics re-done in C (types, bitops, atomics)
 *   include/custom.h    facilities customised for testing (printk/WARN
 *                       counting, per-CPU data, vCPU identity, pages)
 *   include/xen_shim.h  the Xen helpers, on top of the model hypervisor
 */
#ifndef __XEN_EVENTS_KERNEL_H
#define __XEN_EVENTS_KERNEL_H

#include "include/custom.h"
#include "include/xen_shim.h"

#endif /* __XEN_EVENTS_KERNEL_H */
