/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DUPLICATED from drivers/xen/events/events_internal.h: everything after its
 * #include block, byte for byte, between the two marker lines below.  The
 * harness Makefile compares the two on every build and stops with
 * "dup.h is out of sync" if they differ: copy the seam's text again.
 */
#ifndef XEN_EVENTS_SHIM_DUP_H
#define XEN_EVENTS_SHIM_DUP_H
/* ---- BEGIN DUPLICATE ---- */

/**
 * struct evtchn_loop_ctrl - state of one pass of the upcall loop
 *
 * Owned by the core and opaque to backends, which only pass it back to
 * evtchn_handle_port().  Defined in events_base.c.
 */
struct evtchn_loop_ctrl;

/**
 * struct evtchn_ops - the operations of one event channel ABI
 * @max_channels:  Largest number of ports this ABI can ever address.
 * @nr_channels:   Ports addressable right now (FIFO grows on demand;
 *                 ports at or above this need @setup first).
 * @setup:         Optional.  Make @port addressable (FIFO: expand the
 *                 event array).  Called before a port is first used,
 *                 possibly with interrupts off (PIRQ startup, resume) and
 *                 from several CPUs at once: must not sleep and must
 *                 serialise itself.  Returns 0 or -errno.
 * @remove:        Optional.  @port, last bound to @cpu, was closed.
 * @bind_to_cpu:   @port is now delivered to @cpu (was @old_cpu; equal
 *                 for a new port).  Called after Xen accepted the move.
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
 *                 domain was resumed in a new domain.  Returns
 *                 EVTCHN_RESUME_KEPT when it finds that the hypervisor
 *                 kept the domain after all (every registration still in
 *                 place): the core then keeps every binding as it is.
 *                 Returns EVTCHN_RESUMED when registered again in the new
 *                 domain, or -errno when the hypervisor refuses the ABI
 *                 there (say, after a migration to a host without it):
 *                 the backend then forgets its registrations, and the core
 *                 carries on with the 2-level ABI, which every domain
 *                 starts on.  A backend never falls back by itself.
 * @percpu_init:   Optional.  Per-CPU registration before @cpu comes up.
 * @percpu_deinit: Optional.  @cpu is dead: forget its per-CPU state.  Any
 *                 event still queued for @cpu must be handed over (for
 *                 FIFO: unlinked and, if pending, re-raised with
 *                 EVTCHNOP_unmask so Xen queues it where the port is
 *                 bound now), never silently dropped.
 * @debug_dump:    Optional.  Print the ABI's state (VIRQ_DEBUG handler).
 *
 * Every backend has exactly one static const instance, returned by its
 * probe function.  The core calls the ops only through the wrappers
 * below, which also implement the policy for the optional ones.
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
 * A probe runs in process context and may sleep.  The core calls it at
 * boot, and at run time (a switch asked for through xen.evtchn_abi) only
 * while the domain is on 2-level, with ports bound: every port the new
 * ABI makes addressable must start masked, and the probe must not touch
 * any port's 2-level state (Xen carries pending bits over; the core moves
 * the bindings).  A backend that was in use before (and lost on resume)
 * may be probed again and reuses its memory.
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
 * The 2-level backend services VIRQ_TIMER first on every upcall.
 */
evtchn_port_t evtchn_percpu_virq_port(unsigned int cpu, unsigned int virq);

/* ---- Hypervisor data, reached only through these accessors ------------ */

/* The shared_info page (2-level and 3-level pending/mask bitmaps). */
static inline struct shared_info *evtchn_shared_info(void)
{
	return HYPERVISOR_shared_info;
}

/* The vcpu_info of @cpu (upcall flag, L1 selector). */
static inline struct vcpu_info *evtchn_vcpu_info(unsigned int cpu)
{
	return per_cpu(xen_vcpu, cpu);
}

/* Xen's vCPU number for Linux CPU @cpu. */
static inline unsigned int evtchn_xen_vcpu_id(unsigned int cpu)
{
	return xen_vcpu_nr(cpu);
}

/* Guest frame number of a page given by its kernel virtual address. */
static inline u64 evtchn_virt_to_gfn(void *addr)
{
	return virt_to_gfn(addr);
}

/*
 * The core holds the ABI in use in evtchn_ops and calls mandatory ops
 * directly through it.  Optional ops go through these helpers, which are
 * the one place their absence is given a meaning; the __ forms take the
 * ops of an ABI that is not (or not yet) the one in use.
 */
extern const struct evtchn_ops *evtchn_ops;

/* A port needs no preparation unless the ABI says so. */
static inline int __evtchn_op_setup(const struct evtchn_ops *ops,
				    evtchn_port_t port)
{
	return ops->setup ? ops->setup(port) : 0;
}

static inline int evtchn_op_setup(evtchn_port_t port)
{
	return __evtchn_op_setup(evtchn_ops, port);
}

/* Closing a port needs no ABI work unless the ABI says so. */
static inline void evtchn_op_remove(evtchn_port_t port, unsigned int cpu)
{
	if (evtchn_ops->remove)
		evtchn_ops->remove(port, cpu);
}

/*
 * No priorities in this ABI: -EOPNOTSUPP, without asking Xen (whose own
 * answer on 2-level is -ENOSYS; callers only test for failure).
 */
static inline int __evtchn_op_set_priority(const struct evtchn_ops *ops,
					   evtchn_port_t port,
					   unsigned int priority)
{
	return ops->set_priority ? ops->set_priority(port, priority) :
	       -EOPNOTSUPP;
}

static inline int evtchn_op_set_priority(evtchn_port_t port,
					 unsigned int priority)
{
	return __evtchn_op_set_priority(evtchn_ops, port, priority);
}

/* Per-CPU hooks are no-ops when absent. */
static inline int __evtchn_op_percpu(const struct evtchn_ops *ops,
				     unsigned int cpu, bool up)
{
	int (*fn)(unsigned int cpu);

	fn = up ? ops->percpu_init : ops->percpu_deinit;
	return fn ? fn(cpu) : 0;
}

static inline int evtchn_op_percpu(unsigned int cpu, bool up)
{
	return __evtchn_op_percpu(evtchn_ops, cpu, up);
}

/* No resume op: nothing to register again. */
static inline int __evtchn_op_resume(const struct evtchn_ops *ops)
{
	return ops->resume ? ops->resume() : EVTCHN_RESUMED;
}

static inline int evtchn_op_resume(void)
{
	return __evtchn_op_resume(evtchn_ops);
}

/* ---- END DUPLICATE ---- */
#endif /* XEN_EVENTS_SHIM_DUP_H */
