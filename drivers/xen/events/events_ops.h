/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: how the core calls the ABI in use.
 *
 * For the core (events_core.h) and for events_abi.c (events_abi.h), which
 * the host harness compiles unmodified and whose stand-in core uses these
 * too.  Backends never include it: they implement struct evtchn_ops
 * (events_internal.h) and never call an op themselves.
 */
#ifndef __XEN_EVENTS_OPS_H
#define __XEN_EVENTS_OPS_H

#include "events_internal.h"

/*
 * The ops of the ABI in use (defined in events_base.c, set by
 * xevt_abi_use()).  The core calls mandatory ops directly through it.
 * Optional ops go through these helpers, which are the one place their
 * absence is given a meaning; the __ forms take the ops of an ABI that is
 * not (or not yet) the one in use.
 */
extern const struct evtchn_ops *evtchn_ops;

/**
 * __evtchn_op_setup() - make a port addressable in an ABI
 * @ops:  the ABI.
 * @port: the port.
 *
 * A port needs no preparation unless the ABI has @setup.
 *
 * Context: see @setup of struct evtchn_ops; does not sleep.
 * Return: 0 or -errno.
 */
static inline int __evtchn_op_setup(const struct evtchn_ops *ops,
				    evtchn_port_t port)
{
	return ops->setup ? ops->setup(port) : 0;
}

/**
 * evtchn_op_setup() - __evtchn_op_setup() for the ABI in use
 * @port: the port.
 *
 * Return: 0 or -errno.
 */
static inline int evtchn_op_setup(evtchn_port_t port)
{
	return __evtchn_op_setup(evtchn_ops, port);
}

/**
 * evtchn_op_remove() - tell the ABI in use that a port was closed
 * @port: the port.
 * @cpu:  the CPU it was last bound to.
 *
 * Closing a port needs no ABI work unless the ABI has @remove.
 */
static inline void evtchn_op_remove(evtchn_port_t port, unsigned int cpu)
{
	if (evtchn_ops->remove)
		evtchn_ops->remove(port, cpu);
}

/**
 * __evtchn_op_set_priority() - set a port's priority in an ABI
 * @ops:      the ABI.
 * @port:     the port.
 * @priority: 0 (highest) to 15 (lowest).
 *
 * Return: 0 or -errno; -EOPNOTSUPP without asking Xen if the ABI has no
 * priorities (Xen's own answer on 2-level is -ENOSYS; callers only test
 * for failure).
 */
static inline int __evtchn_op_set_priority(const struct evtchn_ops *ops,
					   evtchn_port_t port,
					   unsigned int priority)
{
	return ops->set_priority ? ops->set_priority(port, priority) :
	       -EOPNOTSUPP;
}

/**
 * evtchn_op_set_priority() - __evtchn_op_set_priority() for the ABI in use
 * @port:     the port.
 * @priority: 0 (highest) to 15 (lowest).
 *
 * Return: 0 or -errno.
 */
static inline int evtchn_op_set_priority(evtchn_port_t port,
					 unsigned int priority)
{
	return __evtchn_op_set_priority(evtchn_ops, port, priority);
}

/**
 * __evtchn_op_percpu() - run an ABI's per-CPU hook
 * @ops: the ABI.
 * @cpu: the CPU.
 * @up:  true: @percpu_init before @cpu comes up; false: @percpu_deinit
 *       after it died.
 *
 * A hook the ABI does not have does nothing.
 *
 * Return: 0 or -errno.
 */
static inline int __evtchn_op_percpu(const struct evtchn_ops *ops,
				     unsigned int cpu, bool up)
{
	int (*fn)(unsigned int cpu);

	fn = up ? ops->percpu_init : ops->percpu_deinit;
	return fn ? fn(cpu) : 0;
}

/**
 * evtchn_op_percpu() - __evtchn_op_percpu() for the ABI in use
 * @cpu: the CPU.
 * @up:  true: the CPU comes up; false: it died.
 *
 * Return: 0 or -errno.
 */
static inline int evtchn_op_percpu(unsigned int cpu, bool up)
{
	return __evtchn_op_percpu(evtchn_ops, cpu, up);
}

/**
 * __evtchn_op_resume() - register an ABI again after a resume
 * @ops: the ABI.
 *
 * An ABI without @resume has nothing to register again.
 *
 * Context: stop_machine(), interrupts disabled.
 * Return: EVTCHN_RESUMED, EVTCHN_RESUME_KEPT or -errno (see @resume).
 */
static inline int __evtchn_op_resume(const struct evtchn_ops *ops)
{
	return ops->resume ? ops->resume() : EVTCHN_RESUMED;
}

/**
 * evtchn_op_resume() - __evtchn_op_resume() for the ABI in use
 *
 * Return: EVTCHN_RESUMED, EVTCHN_RESUME_KEPT or -errno.
 */
static inline int evtchn_op_resume(void)
{
	return __evtchn_op_resume(evtchn_ops);
}

#endif /* __XEN_EVENTS_OPS_H */
