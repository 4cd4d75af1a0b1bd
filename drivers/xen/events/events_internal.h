/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: the contract between the ABI-independent core and
 * the per-ABI backends (2-level, FIFO, 3-level).
 *
 * What a backend provides (struct evtchn_ops, returned by its probe), and
 * what the core provides to backends (the services and accessors below).
 * Only files in drivers/xen/events/ include this header.  The kernel
 * facilities both sides use come from events_kernel.h, which the host
 * harness (tools/testing/xen-events/) replaces; this header is compiled
 * there as it is, so there is no second copy of the contract.  How the
 * core calls the ops is in events_ops.h, which backends do not include.
 *
 * Design and locking: Documentation/xen/events.rst.
 */
#ifndef __XEN_EVENTS_INTERNAL_H
#define __XEN_EVENTS_INTERNAL_H

#include "events_kernel.h"

/*
 * struct evtchn_loop_ctrl - state of one pass of the upcall loop.
 *
 * Owned by the core and opaque to backends, which only pass it back to
 * evtchn_handle_port().  Defined in events_upcall.c.
 */
struct evtchn_loop_ctrl;

/**
 * struct evtchn_ops - the operations of one event channel ABI
 * @max_channels:  Largest number of ports this ABI can ever address.
 * @nr_channels:   Ports addressable right now (FIFO grows on demand;
 *                 ports at or above this need @setup first).
 * @setup:         Optional.  Make @port addressable (FIFO: expand the
 *                 event array).  Called before a port is first used in
 *                 this ABI: when it is bound (process context), in a
 *                 PIRQ's startup (under its descriptor lock, interrupts
 *                 off), when VIRQs and IPIs are bound again on resume
 *                 (stop_machine(), interrupts off) and for every bound
 *                 port in a run-time switch.  These may run on several
 *                 CPUs at once, so it must not sleep (GFP_ATOMIC at most)
 *                 and must serialise itself.  Returns 0 or -errno.
 * @remove:        Optional.  @port, last bound to @cpu, was closed.
 * @bind_to_cpu:   @port is now delivered to @cpu (was @old_cpu; equal
 *                 for a port new to this ABI).  Called after Xen accepted
 *                 the move.
 * @clear_pending: Clear @port's pending bit.
 * @set_pending:   Set @port's pending bit (no notification).
 * @is_pending:    Test @port's pending bit.
 * @mask:          Set @port's mask bit.
 * @unmask:        Clear @port's mask bit; if @port is pending, make sure
 *                 it is delivered (an unmask never loses an edge).
 *                 Called with interrupts disabled.
 * @is_masked:     Test @port's mask bit.
 * @set_priority:  Optional.  Set @port's priority (0 highest ..
 *                 15 lowest).  NULL means the ABI has no priorities.
 * @handle_events: The upcall body: deliver every pending, unmasked port
 *                 of @cpu by calling evtchn_handle_port(port, @ctrl).
 *                 Called with interrupts disabled on @cpu itself.  Must
 *                 only visit ports that are pending (no scan of idle
 *                 ports) and return once nothing is pending.
 * @resume:        Optional.  Re-register with the hypervisor after the
 *                 domain was resumed in a new domain.  Called under
 *                 stop_machine(), interrupts off: must not sleep.  Returns
 *                 EVTCHN_RESUME_KEPT when it finds that the hypervisor
 *                 kept the domain after all (every registration still in
 *                 place): the core then keeps every binding as it is.
 *                 Returns EVTCHN_RESUMED when registered again in the new
 *                 domain, or -errno when the hypervisor refuses the ABI
 *                 there (say, after a migration to a host without it):
 *                 the backend then forgets its registrations, and the core
 *                 carries on with the 2-level ABI, which every domain
 *                 starts on.  A backend never falls back by itself.
 * @percpu_init:   Optional.  Per-CPU registration before @cpu comes up
 *                 (CPU hotplug, or for each online CPU in a run-time
 *                 switch; process context, may sleep).  Returns 0 or
 *                 -errno: the CPU then gets no events.
 * @percpu_deinit: Optional.  @cpu is dead: forget its per-CPU state.  Any
 *                 event still queued for @cpu must be handed over (for
 *                 FIFO: unlinked and, if pending, re-raised with
 *                 EVTCHNOP_unmask so Xen queues it where the port is
 *                 bound now), never silently dropped.
 * @debug_dump:    Optional.  Print the ABI's state (VIRQ_DEBUG handler).
 *
 * Every backend has exactly one static const instance, returned by its
 * probe function.  The core calls the ops not marked optional directly
 * (evtchn_ops->mask(port)), so a backend must fill in every one of them.
 * An optional op may be NULL: the core calls @setup, @remove,
 * @set_priority, @resume, @percpu_init and @percpu_deinit only through
 * the evtchn_op_*() wrappers of events_ops.h, which say what a NULL
 * means, and @debug_dump only when it is set.
 */
struct evtchn_ops {
	/* Capacity. */
	unsigned int (*max_channels)(void);
	unsigned int (*nr_channels)(void);

	/* Per-CPU state and the domain as a whole. */
	int (*percpu_init)(unsigned int cpu);
	int (*percpu_deinit)(unsigned int cpu);
	int (*resume)(void);

	/* Life of one port. */
	int (*setup)(evtchn_port_t port);
	void (*bind_to_cpu)(evtchn_port_t port, unsigned int cpu,
			    unsigned int old_cpu);
	void (*remove)(evtchn_port_t port, unsigned int cpu);

	/* Pending and mask state of one port. */
	void (*set_pending)(evtchn_port_t port);
	bool (*is_pending)(evtchn_port_t port);
	void (*clear_pending)(evtchn_port_t port);
	bool (*is_masked)(evtchn_port_t port);
	void (*mask)(evtchn_port_t port);
	void (*unmask)(evtchn_port_t port);
	int (*set_priority)(evtchn_port_t port, unsigned int priority);

	/* Delivery. */
	void (*handle_events)(unsigned int cpu, struct evtchn_loop_ctrl *ctrl);
	void (*debug_dump)(void);
};

/* What @resume found; anything else it returns is -errno. */
#define EVTCHN_RESUMED		0	/* a new domain: registered again */
#define EVTCHN_RESUME_KEPT	1	/* the same domain: nothing changed */

/*
 * Backend probes.  Each tries to switch the domain to its ABI and returns 0
 * with *ops set, or -errno (the hypervisor's answer) leaving the domain on
 * the ABI it had.  The 2-level ABI is always there and cannot fail.
 *
 * The core probes, with the domain on 2-level:
 *  - at boot (xen_init_IRQ(); on x86 from init_IRQ(), before interrupts
 *    are first enabled, where GFP_KERNEL allocations do not sleep yet),
 *    before any port is bound;
 *  - at run time, to switch from 2-level (xen.evtchn_abi): process
 *    context, may sleep, ports bound.  Every port the new ABI makes
 *    addressable must start masked, and the probe must not touch any
 *    port's 2-level state (Xen carries pending bits over; the core moves
 *    the bindings);
 *  - 2-level only, on resume when the new domain refuses the ABI in use:
 *    under stop_machine(), interrupts off, so evtchn_2l_probe() must not
 *    sleep.
 *
 * A backend that was in use before (and lost on resume) may be probed
 * again and reuses its memory.
 */
int evtchn_2l_probe(const struct evtchn_ops **ops);
int evtchn_fifo_probe(const struct evtchn_ops **ops);
int evtchn_3l_probe(const struct evtchn_ops **ops);

/* ---- Services of the core that backends call ------------------------- */

/*
 * evtchn_handle_port - deliver one pending event.  Called by a backend's
 * handle_events() once per pending, unmasked port it consumed.  The core
 * looks the port up (RCU-safe against a concurrent unbind), runs its IRQ,
 * and ignores ports no IRQ is bound to.
 */
void evtchn_handle_port(evtchn_port_t port, struct evtchn_loop_ctrl *ctrl);

/*
 * evtchn_percpu_virq_port - the port of per-CPU VIRQ @virq on @cpu, or 0.
 * The bitmap ABIs (2-level, 3-level) service VIRQ_TIMER first on every
 * pass of their upcall (events_bitmap.h).
 */
evtchn_port_t evtchn_percpu_virq_port(unsigned int cpu, unsigned int virq);

/* ---- Hypervisor data and operations, for every backend ----------------- */

/*
 * The accessors are part of the contract, not of events_kernel.h: they
 * name the only hypervisor and per-CPU data a backend may touch.  Their
 * bodies use nothing but kernel names that any replacement of
 * events_kernel.h provides anyway (the host harness points
 * HYPERVISOR_shared_info, xen_vcpu and xen_vcpu_id at its model Xen, and
 * its virt_to_gfn() gives the frame numbers the model takes), so they
 * compile unchanged there; in events_kernel.h they would have to be
 * written a second time in the harness.
 */

/**
 * evtchn_shared_info() - the shared_info page
 *
 * Return: the page with the 2-level pending and mask bitmaps.
 */
static inline struct shared_info *evtchn_shared_info(void)
{
	return HYPERVISOR_shared_info;
}

/**
 * evtchn_vcpu_info() - the vcpu_info of a CPU
 * @cpu: the Linux CPU.
 *
 * Return: @cpu's vcpu_info (upcall flag and mask, selector).
 */
static inline struct vcpu_info *evtchn_vcpu_info(unsigned int cpu)
{
	return per_cpu(xen_vcpu, cpu);
}

/**
 * evtchn_xen_vcpu_id() - Xen's vCPU number of a CPU
 * @cpu: the Linux CPU.
 *
 * Return: the number hypercalls take for @cpu's vCPU.
 */
static inline unsigned int evtchn_xen_vcpu_id(unsigned int cpu)
{
	return xen_vcpu_nr(cpu);
}

/**
 * evtchn_virt_to_gfn() - guest frame number of a page
 * @addr: kernel virtual address in the page.
 *
 * Return: the frame number hypercalls take for that page.
 */
static inline u64 evtchn_virt_to_gfn(void *addr)
{
	return virt_to_gfn(addr);
}

/**
 * evtchn_xen_unmask() - have Xen unmask a port (EVTCHNOP_unmask)
 * @port: the port.
 *
 * Xen clears @port's mask bit and, if the port is pending, delivers it as
 * the ABI in use does (2-level: selector and upcall; FIFO: links the
 * event; 3-level: selects it in L2 and L1).  For what a backend cannot do
 * itself.  A failure is reported once per backend, with its pr_fmt.
 *
 * Context: any.
 */
static inline void evtchn_xen_unmask(evtchn_port_t port)
{
	struct evtchn_unmask op = { .port = port };
	int ret;

	ret = HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
	if (unlikely(ret))
		pr_warn_once("EVTCHNOP_unmask of port %u failed: %d\n",
			     port, ret);
}

#endif /* __XEN_EVENTS_INTERNAL_H */
