// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the upcall, the hot path.
 *
 * Owns: xen_evtchn_do_upcall(), which runs the ABI's handle_events() on
 * the interrupted CPU, and evtchn_handle_port(), which that calls once per
 * pending port to run its IRQ; the time budget of one upcall (after
 * xen.event_loop_timeout the late EOIs of the rest are deferred) and the
 * VIRQ_DEBUG dump.
 *
 * Locks: none.  Ports are looked up in the port table under
 * rcu_read_lock() (events_base.c); a binding found there stays valid until
 * the upcall returns.  The ABI in use is read once per upcall: a run-time
 * switch (events_setup.c) waits for every upcall in flight to finish
 * before the old ABI's state stops being used.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>

#include <xen/xenbus.h>

#include "events_core.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen."

/* ---- Parameters -------------------------------------------------------- */

/* Upcall time (jiffies) after which late EOIs are deferred. */
unsigned int xevt_loop_timeout __read_mostly = 2;
module_param_named(event_loop_timeout, xevt_loop_timeout, uint, 0644);

/* ---- The upcall -------------------------------------------------------- */

/*
 * struct evtchn_loop_ctrl - time budget of one upcall
 * @seen:      events looked up so far.
 * @deadline:  monotonic ns after which late EOIs are deferred, 0 if the
 *             clock was not read yet.
 * @defer_eoi: the budget is spent.
 *
 * Reading the clock costs more than an event, so it is read only every
 * XEVT_CLOCK_EVERY events, and the budget starts at the first reading:
 * short upcalls never look at the clock.
 */
struct evtchn_loop_ctrl {
	unsigned int seen;
	u64 deadline;
	bool defer_eoi;
};

#define XEVT_CLOCK_EVERY	256

static void xevt_budget(struct evtchn_loop_ctrl *ctrl)
{
	u64 now;

	if (ctrl->defer_eoi)
		return;
	if (++ctrl->seen % XEVT_CLOCK_EVERY)
		return;

	/* Lock-free, so usable while the timekeeping CPU is stuck here. */
	now = ktime_get_mono_fast_ns();
	if (!ctrl->deadline)
		ctrl->deadline = now +
			jiffies_to_nsecs(READ_ONCE(xevt_loop_timeout));
	else
		/*
		 * Reached, not only passed: Xen's pvclock keeps the clock
		 * monotonic across vCPUs by returning the highest reading
		 * seen, so two readings can be equal, and a zero timeout
		 * must still end the budget at the second one.
		 */
		ctrl->defer_eoi = now >= ctrl->deadline;
}

/**
 * evtchn_handle_port() - deliver one pending event
 * @port: a port the backend found pending and unmasked.
 * @ctrl: the upcall's loop state, passed through by the backend.
 *
 * Ports without an IRQ are ignored.  An event whose IRQ is still being
 * handled (on another CPU after an affinity change, or awaiting its late
 * EOI) is left alone: it stays pending and is delivered again once the
 * current one ends.
 *
 * Context: hard IRQ, from evtchn_ops->handle_events() in the upcall.
 */
void evtchn_handle_port(evtchn_port_t port, struct evtchn_loop_ctrl *ctrl)
{
	struct xevt_irq *xi = xevt_from_port(port);
	struct xenbus_device *dev;

	if (!xi)
		return;
	if (ctrl)
		xevt_budget(ctrl);

	/* Acquire: pairs with clear_bit_unlock() where the event ends. */
	if (test_and_set_bit_lock(XEVT_ACTIVE, &xi->state))
		return;

	WRITE_ONCE(xi->nr_events, xi->nr_events + 1);
	dev = xi->kind == XEVT_PORT ? xi->u.dev : NULL;
	if (dev)
		atomic_inc(&dev->events);
	if (ctrl && ctrl->defer_eoi && xi->lateeoi)
		xevt_eoi_defer(xi);

	/* The descriptor lives as long as the binding: no lookup. */
	generic_handle_irq_desc(xi->desc);
}

/**
 * evtchn_percpu_virq_port() - port of a per-CPU VIRQ
 * @cpu:  CPU.
 * @virq: VIRQ number.
 *
 * Context: the upcall (rcu_read_lock() held).
 * Return: the port, or 0 if @virq is not bound on @cpu.
 */
evtchn_port_t evtchn_percpu_virq_port(unsigned int cpu, unsigned int virq)
{
	struct xevt_irq *xi;

	if (virq >= NR_VIRQS)
		return 0;
	xi = rcu_dereference(per_cpu(xevt_pcpu, cpu).virq[virq]);
	return xi ? READ_ONCE(xi->port) : 0;
}

/**
 * xen_evtchn_do_upcall() - handle every pending event of this CPU
 *
 * Entered from Xen's upcall (PV), the HVM callback vector or the platform
 * PCI interrupt.  Events are handled under rcu_read_lock() only: a port
 * being closed on another CPU keeps its binding until this returns.
 *
 * Context: hard IRQ, interrupts disabled.
 * Return: IRQ_HANDLED if Xen had flagged an upcall, else IRQ_NONE.
 */
int xen_evtchn_do_upcall(void)
{
	struct vcpu_info *vi = __this_cpu_read(xen_vcpu);
	unsigned int cpu = smp_processor_id();
	struct evtchn_loop_ctrl ctrl = { };
	int ret = READ_ONCE(vi->evtchn_upcall_pending) ? IRQ_HANDLED : IRQ_NONE;

	lockdep_assert_irqs_disabled();
	rcu_read_lock();
	for (;;) {
		/*
		 * Clear the flag before looking at the pending state: an
		 * event raised after the backend looked sets it again.  The
		 * backends' first read of the pending state is an xchg(),
		 * which orders this store before it.
		 */
		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		evtchn_ops->handle_events(cpu, &ctrl);
		/* Xen sets the flag after the pending bits: read it last. */
		virt_rmb();
		if (!READ_ONCE(vi->evtchn_upcall_pending))
			break;
	}
	rcu_read_unlock();

	/* Late EOIs from now on were not issued inside this upcall. */
	__this_cpu_inc(xevt_epoch);
	return ret;
}
EXPORT_SYMBOL_GPL(xen_evtchn_do_upcall);

/**
 * xen_debug_interrupt() - VIRQ_DEBUG handler: dump the ABI's state
 * @irq:    unused.
 * @dev_id: unused.
 *
 * Context: hard IRQ.
 * Return: IRQ_HANDLED.
 */
irqreturn_t xen_debug_interrupt(int irq, void *dev_id)
{
	if (evtchn_ops->debug_dump)
		evtchn_ops->debug_dump();
	return IRQ_HANDLED;
}
