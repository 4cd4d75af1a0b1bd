/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Xen side of the kernel API, as the backends see it, on top of the
 * model hypervisor (model.h).
 *
 * The ABI layouts (struct shared_info, struct vcpu_info, the event channel
 * hypercall structures, the FIFO control block) are NOT copied: they come
 * from the kernel's own xen/interface/{xen,event_channel}.h, which the
 * Makefile links into the build directory (see README, "ABI headers").
 * What follows are CUSTOMISED versions of the small kernel helpers around
 * them: the hypercall lands in the model, the vCPU numbering is the
 * harness's, and a guest frame number is a page address shifted right.
 */
#ifndef XEN_EVENTS_SHIM_XEN_H
#define XEN_EVENTS_SHIM_XEN_H

#include "custom.h"

#include <xen/interface/xen.h>
#include <xen/interface/event_channel.h>

/* ---- xen/xen.h, asm/xen/hypervisor.h ---------------------------------- */

enum xen_domain_type {
	XEN_NATIVE,
	XEN_PV_DOMAIN,
	XEN_HVM_DOMAIN,
};

extern enum xen_domain_type xen_domain_type;
extern bool shim_xen_initial_domain;
extern bool xen_have_vector_callback;
extern bool xen_percpu_upcall;

#define xen_domain()		(xen_domain_type != XEN_NATIVE)
#define xen_pv_domain()		(xen_domain_type == XEN_PV_DOMAIN)
#define xen_hvm_domain()	(xen_domain_type == XEN_HVM_DOMAIN)
#define xen_pvh_domain()	0
#define xen_initial_domain()	(xen_domain() && shim_xen_initial_domain)

extern struct shared_info *HYPERVISOR_shared_info;

/* ---- xen/xen-ops.h ---------------------------------------------------- */

DECLARE_PER_CPU(struct vcpu_info *, xen_vcpu);
DECLARE_PER_CPU(uint32_t, xen_vcpu_id);

static inline uint32_t xen_vcpu_nr(int cpu)
{
	return per_cpu(xen_vcpu_id, cpu);
}

/* ---- xen/page.h, asm/xen/page.h --------------------------------------- */

/*
 * Xen's answer to a hypercall or sub-op it does not have (its
 * public/errno.h, the same number as Linux's on x86): what the model
 * returns and what the tests expect back from the kernel.
 */
#define XEN_ENOSYS		38

#define XEN_PAGE_SHIFT		12
#define XEN_PAGE_SIZE		BIT(XEN_PAGE_SHIFT)
#define XEN_PAGE_MASK		(~(XEN_PAGE_SIZE - 1))
#define xen_offset_in_page(p)	((unsigned long)(p) & ~XEN_PAGE_MASK)
#define XEN_PFN_PER_PAGE	(PAGE_SIZE / XEN_PAGE_SIZE)
#define XEN_PFN_DOWN(x)		((x) >> XEN_PAGE_SHIFT)
#define XEN_PFN_UP(x)		(((x) + XEN_PAGE_SIZE - 1) >> XEN_PAGE_SHIFT)

/* The model maps a frame number back to the page with the same shift. */
static inline unsigned long virt_to_gfn(const void *v)
{
	return (unsigned long)v >> XEN_PAGE_SHIFT;
}

#define virt_to_pfn(v)		virt_to_gfn(v)
#define virt_to_mfn(v)		virt_to_gfn(v)
#define pfn_to_gfn(pfn)		(pfn)
#define pfn_to_mfn(pfn)		(pfn)
#define gfn_to_virt(g)		((void *)((unsigned long)(g) << XEN_PAGE_SHIFT))
#define xen_page_to_gfn(pg)	virt_to_gfn(page_address(pg))
#define page_to_xen_pfn(pg)	virt_to_gfn(page_address(pg))

/* ---- asm/xen/hypercall.h ---------------------------------------------- */

/* Every event channel hypercall is served by the model, as the calling vCPU. */
int model_guest_event_channel_op(unsigned int xen_vcpu, int cmd, void *arg);
/* Record the hypercall in the trace (include/base.h) before it runs. */
void shim_trace_hypercall(int cmd, const void *arg);

static inline int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
#ifndef HX_BENCH
	if (unlikely(__atomic_load_n(&shim_trace_on, __ATOMIC_RELAXED)))
		shim_trace_hypercall(cmd, arg);
#endif
	return model_guest_event_channel_op(xen_vcpu_nr(smp_processor_id()),
					    cmd, arg);
}

/* ---- xen/events.h, asm/xen/events.h (the parts a backend may touch) ---- */

enum ipi_vector {
	XEN_RESCHEDULE_VECTOR,
	XEN_CALL_FUNCTION_VECTOR,
	XEN_CALL_FUNCTION_SINGLE_VECTOR,
	XEN_SPIN_UNLOCK_VECTOR,
	XEN_IRQ_WORK_VECTOR,
	XEN_NMI_VECTOR,
	XEN_NR_IPIS,
};

/* XCHG is a full barrier on x86; so is the builtin. */
#define xchg_xen_ulong(ptr, val)	xchg((ptr), (val))

#define XEN_IRQ_PRIORITY_MAX		EVTCHN_FIFO_PRIORITY_MAX
#define XEN_IRQ_PRIORITY_DEFAULT	EVTCHN_FIFO_PRIORITY_DEFAULT
#define XEN_IRQ_PRIORITY_MIN		EVTCHN_FIFO_PRIORITY_MIN
#define XEN_EOI_FLAG_SPURIOUS		0x00000001

static inline bool xen_support_evtchn_rebind(void)
{
	return !xen_hvm_domain() || xen_have_vector_callback;
}

static inline void notify_remote_via_evtchn(evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	(void)HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

unsigned int xen_evtchn_nr_channels(void);

#endif /* XEN_EVENTS_SHIM_XEN_H */
