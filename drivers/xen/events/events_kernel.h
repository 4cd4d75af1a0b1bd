/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: the kernel facilities the ABI backends use.
 *
 * Nothing but #include lines belongs here.  This is the one header of
 * drivers/xen/events/ that the host harness (tools/testing/xen-events/)
 * replaces: it has a file of the same name with the same include guard,
 * which each of its translation units includes first, so that this body
 * is skipped there and every other header of the backends (the contract,
 * events_internal.h, and the helpers they share) is compiled as it is,
 * against the harness's userspace versions of these facilities.
 *
 * A backend (events_2l.c, events_fifo.c, events_3l.c) may use what these
 * headers declare and what the headers of this directory that it includes
 * define; anything else breaks the harness build.
 */
#ifndef __XEN_EVENTS_KERNEL_H
#define __XEN_EVENTS_KERNEL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

#include <asm/barrier.h>
#include <asm/sync_bitops.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/hypervisor.h>
#include <asm/xen/page.h>

#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/xen.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xen-ops.h>

#endif /* __XEN_EVENTS_KERNEL_H */
