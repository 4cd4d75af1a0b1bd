/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: the differences between the kernel series the core
 * is built on (Debian's linux-source-6.1 and linux-source-6.12), so that
 * the rest of the core has no version tests of its own.
 *
 * The public API is the base's own include/xen/events.h; the core defines
 * what that header declares.  As of 6.12 it differs from 6.1 in:
 *
 *  - evtchn_make_refcounted(port, is_static): a static port (one the
 *    toolstack set up with the domain, bound with IOCTL_EVTCHN_BIND_STATIC)
 *    is never closed by the kernel, only unbound;
 *  - xen_evtchn_close() is a static inline in the header;
 *  - xen_irq_from_pirq(), xen_set_irq_pending() and
 *    xen_set_affinity_evtchn() are gone;
 *  - xen_debug_interrupt() and xen_fifo_events are declared there.
 *
 * The evtchn device of 6.12 binds with IRQF_SHARED; the core counts a
 * shared bind of a refcounted port as one more reference on both bases
 * (events_bind.c), which 6.1 callers never do.
 */
#ifndef __XEN_EVENTS_COMPAT_H
#define __XEN_EVENTS_COMPAT_H

/*
 * XEVT_BASE: the base's VERSION and PATCHLEVEL as one number (601, 612),
 * set by our Makefile.
 */
#if XEVT_BASE >= 612
/* include/xen/events.h as of 6.12 (see above). */
#define XEVT_EVENTS_API_612	1
/* x86: sysvec_install() puts the HVM callback in the IDT or FRED table. */
#define xevt_install_callback_vector() \
	sysvec_install(HYPERVISOR_CALLBACK_VECTOR, sysvec_xen_hvm_callback)
#else
#define XEVT_EVENTS_API_612	0
#define xevt_install_callback_vector() \
	alloc_intr_gate(HYPERVISOR_CALLBACK_VECTOR, asm_sysvec_xen_hvm_callback)
#endif

#endif /* __XEN_EVENTS_COMPAT_H */
