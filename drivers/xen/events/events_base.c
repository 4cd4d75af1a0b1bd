// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the ABI-independent core.
 *
 * Xen signals a guest through numbered event channels ("ports").  This
 * core gives each bound port a Linux IRQ, so drivers see ordinary
 * interrupts: it keeps the port -> IRQ table, provides the irq_chips,
 * binds every kind of port (inter-domain, VIRQ, IPI; PIRQs live in
 * events_pirq.c), runs the upcall that turns pending ports into IRQs, and
 * picks the ABI the hypervisor speaks.  What differs between ABIs (where
 * the pending and mask bits are, how pending ports are found) is behind
 * struct evtchn_ops, implemented by events_2l.c, events_fifo.c and
 * events_3l.c.
 *
 * Design, locking, parameters: Documentation/xen/events.rst.  The lock
 * order is in events_core.h.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/irqnr.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>

#ifdef CONFIG_X86
#include <asm/desc.h>
#include <asm/idtentry.h>
#include <asm/irq.h>
#include <asm/xen/cpuid.h>
#include <asm/xen/pci.h>
#endif

#include <xen/hvm.h>
#include <xen/interface/hvm/hvm_op.h>
#include <xen/interface/sched.h>
#include <xen/interface/vcpu.h>
#include <xen/xenbus.h>

#include "events_core.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen."

/* ---- Parameters -------------------------------------------------------- */

/* Upcall time (jiffies) after which late EOIs are deferred. */
unsigned int xevt_loop_timeout __read_mostly = 2;
module_param_named(event_loop_timeout, xevt_loop_timeout, uint, 0644);

/* How long (jiffies) a deferred late EOI waits. */
unsigned int xevt_eoi_delay __read_mostly = 10;
module_param_named(event_eoi_delay, xevt_eoi_delay, uint, 0644);

/*
 * false: leave FIFO out of the default order (which then is 3-level,
 * 2-level).  Afterwards true exactly when FIFO is in use.
 */
bool xen_fifo_events = true;
module_param_named(fifo_events, xen_fifo_events, bool, 0);

/*
 * Key of an ABI to try first (a key of xevt_abis[]: "fifo", "3level" or
 * "2level"), empty for the default order.
 */
static char xevt_abi_param[16];
module_param_string(evtchn_abi, xevt_abi_param, sizeof(xevt_abi_param), 0444);

/* ---- Core state -------------------------------------------------------- */

const struct evtchn_ops *evtchn_ops __ro_after_init;

/* Serialises binding changes; see the lock order in events_core.h. */
DEFINE_MUTEX(xevt_lock);
/* Every binding, under xevt_lock. */
LIST_HEAD(xevt_list);

/* Linux IRQ -> binding.  Lock-free lookups (RCU inside the XArray). */
static DEFINE_XARRAY(xevt_irqs);

/*
 * Port -> binding.  A directory, sized once for the ABI's maximum, of
 * pointers to rows of slots.  A row is allocated the first time one of its
 * ports is bound and lives for good (after resume its slots are simply
 * cleared).  Slots are pointers, so every load and store is single-copy
 * atomic; readers use rcu_dereference().
 */
#define XEVT_ROW_SLOTS	(PAGE_SIZE / sizeof(void *))

struct xevt_row {
	struct xevt_irq __rcu *slot[XEVT_ROW_SLOTS];
};

static struct xevt_row **xevt_dir __read_mostly;
static unsigned int xevt_dir_rows __read_mostly;

/* Per-CPU bookkeeping. */
struct xevt_pcpu {
	struct xevt_irq __rcu *virq[NR_VIRQS];	/* by VIRQ number */
	struct xevt_irq *ipi[XEN_NR_IPIS];	/* by vector, xevt_lock */
	evtchn_port_t ipi_port[XEN_NR_IPIS];	/* lock-free copy for senders */
	atomic_t load;				/* ports delivered here */
};

static DEFINE_PER_CPU(struct xevt_pcpu, xevt_pcpu);
DEFINE_PER_CPU(unsigned int, xevt_epoch);

/* ---- The port table ---------------------------------------------------- */

static bool xevt_port_ok(evtchn_port_t port)
{
	/* Xen never hands out port 0. */
	return port && port < evtchn_ops->max_channels();
}

/* The row holding @port, allocated with @gfp if it does not exist yet. */
static struct xevt_row *xevt_row_for(evtchn_port_t port, gfp_t gfp)
{
	struct xevt_row **where = &xevt_dir[port / XEVT_ROW_SLOTS];
	struct xevt_row *row, *prev;

	row = READ_ONCE(*where);
	if (row)
		return row;

	row = (struct xevt_row *)get_zeroed_page(gfp);
	if (!row)
		return NULL;
	/*
	 * PIRQ startup writes the table without xevt_lock, so two binders may
	 * race here.  cmpxchg() is fully ordered: the zeroed row is visible
	 * before its pointer (pairs with READ_ONCE() above and in
	 * xevt_from_port(), whose address dependency orders the slot load).
	 */
	prev = cmpxchg(where, NULL, row);
	if (prev) {
		free_page((unsigned long)row);
		row = prev;
	}
	return row;
}

/**
 * xevt_from_port() - the binding of a port
 * @port: port number, any value.
 *
 * Context: rcu_read_lock() or xevt_lock held.
 * Return: the binding, or NULL if @port is not bound.
 */
struct xevt_irq *xevt_from_port(evtchn_port_t port)
{
	struct xevt_row *row;

	if (unlikely(port / XEVT_ROW_SLOTS >= xevt_dir_rows))
		return NULL;
	row = READ_ONCE(xevt_dir[port / XEVT_ROW_SLOTS]);
	if (unlikely(!row))
		return NULL;
	return rcu_dereference_check(row->slot[port % XEVT_ROW_SLOTS],
				     lockdep_is_held(&xevt_lock));
}

static void xevt_slot_clear(evtchn_port_t port)
{
	struct xevt_row *row = READ_ONCE(xevt_dir[port / XEVT_ROW_SLOTS]);

	if (row)
		RCU_INIT_POINTER(row->slot[port % XEVT_ROW_SLOTS], NULL);
}

/**
 * xevt_from_irq() - the binding of a Linux IRQ
 * @irq: IRQ number.
 *
 * Context: any; the caller keeps the result alive (RCU, xevt_lock, or the
 * IRQ being requested).
 * Return: the binding, or NULL if @irq is not one of ours.
 */
struct xevt_irq *xevt_from_irq(unsigned int irq)
{
	return xa_load(&xevt_irqs, irq);
}

/* The port behind @irq, 0 if none. */
static evtchn_port_t xevt_port_of(unsigned int irq)
{
	struct xevt_irq *xi;
	evtchn_port_t port = 0;

	rcu_read_lock();
	xi = xevt_from_irq(irq);
	if (xi)
		port = READ_ONCE(xi->port);
	rcu_read_unlock();
	return port;
}

/* ---- Life of a binding ------------------------------------------------- */

/**
 * xevt_new() - create the binding record of a Linux IRQ
 * @irq:      an allocated IRQ descriptor.
 * @own_desc: free the descriptor when the binding goes away.
 *
 * The binding starts unbound (no port) and masked for the irq core, as
 * the IRQ is not enabled yet.
 *
 * Context: process context, xevt_lock held.
 * Return: the binding; NULL on failure, with the descriptor freed if
 * @own_desc.
 */
struct xevt_irq *xevt_new(int irq, bool own_desc)
{
	struct xevt_irq *xi = kzalloc(sizeof(*xi), GFP_KERNEL);

	if (!xi)
		goto fail;

	xi->irq = irq;
	xi->own_desc = own_desc;
	xi->refs = -1;
	xi->prio = XEN_IRQ_PRIORITY_DEFAULT;
	xi->mask_why = XEVT_MASK_IRQCORE;
	xi->remote = XEVT_REMOTE_UNKNOWN;
	raw_spin_lock_init(&xi->mask_lock);
	INIT_LIST_HEAD(&xi->eoi_node);

	if (xa_insert(&xevt_irqs, irq, xi, GFP_KERNEL)) {
		kfree(xi);
		goto fail;
	}
	list_add_tail(&xi->node, &xevt_list);

	/* Our affinity changes need no interrupt context. */
	irq_set_status_flags(irq, IRQ_MOVE_PCNTXT);
	irq_clear_status_flags(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN);
	return xi;

fail:
	if (own_desc)
		irq_free_desc(irq);
	return NULL;
}

static void xevt_free_rcu(struct work_struct *work)
{
	struct xevt_irq *xi = container_of(to_rcu_work(work), struct xevt_irq,
					   free_work);

	/* No upcall can still be running the IRQ: its number may be reused. */
	if (xi->own_desc)
		irq_free_desc(xi->irq);
	kfree(xi);
}

/**
 * xevt_discard() - forget a binding whose port is already closed
 * @xi: the binding.
 *
 * Lookups by IRQ fail from now on.  The record and the IRQ descriptor are
 * freed after an RCU grace period, when no upcall can hold them any more.
 *
 * Context: process context, xevt_lock held.
 */
void xevt_discard(struct xevt_irq *xi)
{
	WARN_ON(READ_ONCE(xi->port));
	WARN_ON(xi->refs > 0);

	xevt_eoi_forget(xi);
	list_del(&xi->node);
	xa_erase(&xevt_irqs, xi->irq);

	INIT_RCU_WORK(&xi->free_work, xevt_free_rcu);
	queue_rcu_work(system_wq, &xi->free_work);
}

/*
 * Record that @xi's port is delivered to @cpu now (Xen has agreed), for
 * the backend and the per-CPU load used to place new affinities.
 */
static void xevt_route(struct xevt_irq *xi, unsigned int cpu)
{
	unsigned int from = xi->counted ? xi->cpu : cpu;

	evtchn_ops->bind_to_cpu(xi->port, cpu, from);

	if (xi->counted)
		atomic_dec(&per_cpu(xevt_pcpu, from).load);
	atomic_inc(&per_cpu(xevt_pcpu, cpu).load);
	xi->counted = true;
	WRITE_ONCE(xi->cpu, cpu);
}

static void xevt_uncount(struct xevt_irq *xi)
{
	if (!xi->counted)
		return;
	atomic_dec(&per_cpu(xevt_pcpu, xi->cpu).load);
	xi->counted = false;
}

/**
 * xevt_attach() - connect a binding to a port Xen gave us
 * @xi:   binding without a port.
 * @port: the port, delivered by Xen to @cpu.
 * @cpu:  CPU the port is bound to in Xen.
 * @gfp:  allocation flags for a new row of the port table.
 *
 * The port is masked while it is set up and unmasked at the end only if
 * nothing asks for it to stay masked.  The table entry is published before
 * that unmask, so an event that fires at once finds its IRQ.
 *
 * Context: xevt_lock held, or the IRQ's descriptor lock (PIRQ startup), or
 * resume with interrupts off.  evtchn_op_setup() may sleep.
 * Return: 0, or -errno with nothing changed.
 */
int xevt_attach(struct xevt_irq *xi, evtchn_port_t port, unsigned int cpu,
		gfp_t gfp)
{
	struct xevt_row *row;
	unsigned long flags;
	int err;

	if (!xevt_port_ok(port))
		return -EINVAL;
	row = xevt_row_for(port, gfp);
	if (!row)
		return -ENOMEM;
	err = evtchn_op_setup(port);
	if (err)
		return err;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	evtchn_ops->mask(port);
	WRITE_ONCE(xi->port, port);
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);

	xevt_route(xi, cpu);
	rcu_assign_pointer(row->slot[port % XEVT_ROW_SLOTS], xi);

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	if (!xi->mask_why)
		evtchn_ops->unmask(port);
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);

	xevt_ports_add(1);
	return 0;
}

/**
 * xevt_detach() - disconnect a binding from its port
 * @xi: the binding.
 *
 * Masks the port and removes it from the table; the caller then closes it
 * (xevt_close()).  Clearing the table first matters: once closed, Xen may
 * hand the same number to a concurrent bind, whose entry we must not wipe.
 *
 * Context: as xevt_attach().
 * Return: the port that was attached, 0 if none.
 */
evtchn_port_t xevt_detach(struct xevt_irq *xi)
{
	unsigned long flags;
	evtchn_port_t port;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	port = xi->port;
	if (port)
		evtchn_ops->mask(port);
	WRITE_ONCE(xi->port, 0);
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);

	if (!port)
		return 0;
	xevt_slot_clear(port);
	evtchn_op_remove(port, xi->cpu);
	xevt_uncount(xi);
	xevt_ports_add(-1);
	return port;
}

/**
 * xevt_close() - give a port back to Xen
 * @port: a port no longer in the table.
 */
void xevt_close(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };
	int err;

	err = HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
	WARN_ONCE(err, "closing port %u failed (%d)\n", port, err);
}

/* ---- Masking ----------------------------------------------------------- */

/**
 * xevt_mask() - add a reason for the port to be masked
 * @xi:  the binding.
 * @why: one XEVT_MASK_* reason.
 *
 * Context: any; interrupts may be enabled.
 */
void xevt_mask(struct xevt_irq *xi, u8 why)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	if (!xi->mask_why && xi->port)
		evtchn_ops->mask(xi->port);
	xi->mask_why |= why;
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);
}

/**
 * xevt_unmask() - drop a reason for the port to be masked
 * @xi:  the binding.
 * @why: one XEVT_MASK_* reason.
 *
 * The port is unmasked only when no reason is left.
 *
 * Context: any; interrupts may be enabled.
 */
void xevt_unmask(struct xevt_irq *xi, u8 why)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	xi->mask_why &= ~why;
	if (!xi->mask_why && xi->port)
		evtchn_ops->unmask(xi->port);
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);
}

/**
 * xevt_event_done() - let the next event of @xi in
 * @xi: the binding.
 *
 * Releases the active guard first and then clears the pending bit: an
 * event raised between the two is either already covered by the handler
 * about to run, or finds the guard free and is handled normally.
 */
void xevt_event_done(struct xevt_irq *xi)
{
	evtchn_port_t port = READ_ONCE(xi->port);

	/* Release: pairs with test_and_set_bit_lock() in evtchn_handle_port(). */
	clear_bit_unlock(XEVT_ACTIVE, &xi->state);
	if (port)
		evtchn_ops->clear_pending(port);
}

/* ---- irq_chip callbacks ------------------------------------------------ */

void xevt_irq_mask(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);

	if (xi)
		xevt_mask(xi, XEVT_MASK_IRQCORE);
}

void xevt_irq_unmask(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);

	if (xi)
		xevt_unmask(xi, XEVT_MASK_IRQCORE);
}

static void xevt_irq_ack(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);

	if (xi)
		xevt_event_done(xi);
}

static void xevt_irq_mask_ack(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);

	if (!xi)
		return;
	xevt_mask(xi, XEVT_MASK_IRQCORE);
	xevt_event_done(xi);
}

/*
 * Late EOI flow: the event stays masked and "active" until the driver
 * calls xen_irq_lateeoi(); only the pending bit is cleared now, so a new
 * event is remembered while we wait.
 */
static void xevt_lateeoi_ack(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);
	evtchn_port_t port;

	if (!xi)
		return;
	xevt_mask(xi, XEVT_MASK_EOI);
	port = READ_ONCE(xi->port);
	if (port)
		evtchn_ops->clear_pending(port);
}

/* Least loaded online CPU of @want, or of all online CPUs if none is. */
static unsigned int xevt_pick_cpu(const struct cpumask *want)
{
	unsigned int cpu, best = 0;
	int load, best_load = INT_MAX;

	if (!cpumask_intersects(want, cpu_online_mask))
		want = cpu_online_mask;
	for_each_cpu_and(cpu, want, cpu_online_mask) {
		load = atomic_read(&per_cpu(xevt_pcpu, cpu).load);
		if (load >= best_load)
			continue;
		best_load = load;
		best = cpu;
	}
	return best;
}

/*
 * A global VIRQ is listed in the VIRQ table of the CPU it is delivered to,
 * so that irq_evtchn_from_virq() finds it where Xen raises it.  Done under
 * the mask lock and only while the binding has a port: xevt_unbind()
 * detaches first, so after that no move can list the binding again.
 */
static void xevt_virq_follow(struct xevt_irq *xi, unsigned int cpu)
{
	unsigned int virq = xi->u.virq.virq;
	struct xevt_pcpu *from, *to;
	unsigned long flags;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	if (xi->port && xi->u.virq.home != cpu) {
		from = per_cpu_ptr(&xevt_pcpu, xi->u.virq.home);
		to = per_cpu_ptr(&xevt_pcpu, cpu);
		if (rcu_access_pointer(from->virq[virq]) == xi)
			RCU_INIT_POINTER(from->virq[virq], NULL);
		rcu_assign_pointer(to->virq[virq], xi);
		xi->u.virq.home = cpu;
	}
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);
}

/*
 * Ask Xen to deliver @xi's port to @cpu.  The port is masked meanwhile
 * so that no event lands on a CPU the backend does not expect.
 */
static int xevt_move(struct xevt_irq *xi, unsigned int cpu)
{
	struct evtchn_bind_vcpu op;
	int err;

	op.port = READ_ONCE(xi->port);
	if (!op.port || cpu == xi->cpu)
		return 0;
	if (!xen_support_evtchn_rebind())
		return -EOPNOTSUPP;
	op.vcpu = xen_vcpu_nr(cpu);

	xevt_mask(xi, XEVT_MASK_BRIEF);
	err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &op);
	if (!err) {
		xevt_route(xi, cpu);
		if (xi->kind == XEVT_VIRQ && !xi->u.virq.percpu)
			xevt_virq_follow(xi, cpu);
	}
	xevt_unmask(xi, XEVT_MASK_BRIEF);
	return err;
}

int xevt_irq_set_affinity(struct irq_data *d, const struct cpumask *dest,
			  bool force)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);
	unsigned int cpu = xevt_pick_cpu(dest);
	int err;

	if (!xi)
		return -ENOENT;
	err = xevt_move(xi, cpu);
	if (err)
		return err;
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return IRQ_SET_MASK_OK;
}

int xevt_irq_retrigger(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);
	evtchn_port_t port = xi ? READ_ONCE(xi->port) : 0;

	if (!port)
		return 0;
	/* Unmasking a pending port makes the backend deliver it. */
	xevt_mask(xi, XEVT_MASK_BRIEF);
	evtchn_ops->set_pending(port);
	xevt_unmask(xi, XEVT_MASK_BRIEF);
	return 1;
}

/* Interdomain, local and global VIRQ ports; edge flow. */
static const struct irq_chip xevt_chip_dyn = {
	.name			= "xen-dyn",
	.irq_ack		= xevt_irq_ack,
	.irq_mask_ack		= xevt_irq_mask_ack,
	.irq_mask		= xevt_irq_mask,
	.irq_unmask		= xevt_irq_unmask,
	.irq_disable		= xevt_irq_mask,
	.irq_retrigger		= xevt_irq_retrigger,
	.irq_set_affinity	= xevt_irq_set_affinity,
};

/* As xen-dyn, but the driver ends each event with xen_irq_lateeoi(). */
static const struct irq_chip xevt_chip_lateeoi = {
	/* irqbalance balances chips whose name contains "xen-dyn". */
	.name			= "xen-dyn-lateeoi",
	.irq_ack		= xevt_lateeoi_ack,
	/* The driver will not run: no late EOI comes, end the event now. */
	.irq_mask_ack		= xevt_irq_mask_ack,
	.irq_mask		= xevt_irq_mask,
	.irq_unmask		= xevt_irq_unmask,
	.irq_disable		= xevt_irq_mask,
	.irq_retrigger		= xevt_irq_retrigger,
	.irq_set_affinity	= xevt_irq_set_affinity,
};

/* IPIs and per-CPU VIRQs: bound to one CPU for good. */
static const struct irq_chip xevt_chip_percpu = {
	.name			= "xen-percpu",
	.irq_ack		= xevt_irq_ack,
	.irq_mask		= xevt_irq_mask,
	.irq_unmask		= xevt_irq_unmask,
	.irq_disable		= xevt_irq_mask,
};

/* Pin a per-CPU IRQ's affinity to @cpu so /proc shows where it fires. */
static void xevt_pin(struct xevt_irq *xi, unsigned int cpu)
{
	struct irq_data *d = irq_get_irq_data(xi->irq);

	irq_data_update_affinity(d, cpumask_of(cpu));
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
}

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
		ctrl->defer_eoi = now > ctrl->deadline;
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

	generic_handle_irq(xi->irq);
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

/* ---- Binding ports ----------------------------------------------------- */

static struct xevt_irq *xevt_new_dyn(const struct irq_chip *chip,
				     irq_flow_handler_t flow,
				     const char *flow_name)
{
	struct xevt_irq *xi;
	int irq;

	irq = irq_alloc_desc(NUMA_NO_NODE);
	if (irq < 0)
		return NULL;
	xi = xevt_new(irq, true);
	if (xi)
		irq_set_chip_and_handler_name(irq, chip, flow, flow_name);
	return xi;
}

/*
 * Tear a binding down: drop a user reference, and when none is left close
 * the port (after clearing every table that leads to it) and free.
 */
static void xevt_unbind(struct xevt_irq *xi)
{
	struct xevt_pcpu *pc;
	evtchn_port_t port;

	lockdep_assert_held(&xevt_lock);

	if (xi->refs > 0 && --xi->refs > 0)
		return;

	/* No port: no affinity change can move a table entry any more. */
	port = xevt_detach(xi);

	switch (xi->kind) {
	case XEVT_VIRQ:
		pc = per_cpu_ptr(&xevt_pcpu, xi->u.virq.home);
		if (rcu_access_pointer(pc->virq[xi->u.virq.virq]) == xi)
			RCU_INIT_POINTER(pc->virq[xi->u.virq.virq], NULL);
		break;
	case XEVT_IPI:
		pc = per_cpu_ptr(&xevt_pcpu, xi->u.ipi.home);
		if (pc->ipi[xi->u.ipi.vector] == xi) {
			pc->ipi[xi->u.ipi.vector] = NULL;
			WRITE_ONCE(pc->ipi_port[xi->u.ipi.vector], 0);
		}
		break;
	case XEVT_PORT:
		if (xi->u.dev)
			atomic_dec(&xi->u.dev->event_channels);
		break;
	default:
		break;
	}

	if (port)
		xevt_close(port);
	xevt_discard(xi);
}

static void xevt_unbind_irq(unsigned int irq)
{
	struct xevt_irq *xi;

	mutex_lock(&xevt_lock);
	xi = xevt_from_irq(irq);
	if (xi)
		xevt_unbind(xi);
	mutex_unlock(&xevt_lock);
}

/* Bind an existing port; the IRQ it already has if it is bound. */
static int xevt_bind_port(evtchn_port_t port, bool lateeoi,
			  struct xenbus_device *dev)
{
	struct xevt_irq *xi;
	int ret;

	mutex_lock(&xevt_lock);

	xi = xevt_from_port(port);
	if (xi) {
		ret = xi->irq;
		if (WARN(xi->kind != XEVT_PORT,
			 "port %u is already bound as %s\n", port,
			 xevt_kind_name(xi)))
			ret = -EEXIST;
		goto out;
	}

	ret = -EINVAL;
	if (!xevt_port_ok(port))
		goto out;

	ret = -ENOMEM;
	xi = xevt_new_dyn(lateeoi ? &xevt_chip_lateeoi : &xevt_chip_dyn,
			  handle_edge_irq, "event");
	if (!xi)
		goto out;
	xi->kind = XEVT_PORT;
	xi->lateeoi = lateeoi;
	xi->u.dev = dev;
	/* A bare port number: xevt_remote() asks Xen when it is needed. */
	xi->remote = dev ? dev->otherend_id : XEVT_REMOTE_UNKNOWN;

	/* Xen delivers a newly bound port to vCPU 0. */
	ret = xevt_attach(xi, port, 0, GFP_KERNEL);
	if (ret) {
		xi->u.dev = NULL;
		xevt_discard(xi);
		goto out;
	}
	if (dev)
		atomic_inc(&dev->event_channels);
	ret = xi->irq;
out:
	mutex_unlock(&xevt_lock);
	return ret;
}

static int xevt_bind_remote(struct xenbus_device *dev,
			    evtchn_port_t remote_port, bool lateeoi)
{
	struct evtchn_bind_interdomain op = {
		.remote_dom = dev->otherend_id,
		.remote_port = remote_port,
	};
	int ret;

	ret = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
	if (ret)
		return ret;
	ret = xevt_bind_port(op.local_port, lateeoi, dev);
	if (ret < 0)
		xevt_close(op.local_port);
	return ret;
}

/* request_irq() on a freshly bound IRQ, unbinding it again on failure. */
static int xevt_request(int irq, irq_handler_t handler, unsigned long flags,
			const char *name, void *dev_id)
{
	int err;

	if (irq < 0)
		return irq;
	err = request_irq(irq, handler, flags, name, dev_id);
	if (err) {
		xevt_unbind_irq(irq);
		return err;
	}
	return irq;
}

/**
 * bind_evtchn_to_irq() - give an existing port a Linux IRQ
 * @evtchn: the port (from EVTCHNOP_alloc_unbound, _bind_interdomain, ...).
 *
 * The IRQ uses the "xen-dyn" chip with the edge flow and is delivered to
 * CPU 0 until its affinity is set.  Binding a bound port returns its IRQ.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno.
 */
int bind_evtchn_to_irq(evtchn_port_t evtchn)
{
	return xevt_bind_port(evtchn, false, NULL);
}
EXPORT_SYMBOL_GPL(bind_evtchn_to_irq);

/**
 * bind_evtchn_to_irq_lateeoi() - as bind_evtchn_to_irq(), late EOI flavour
 * @evtchn: the port.
 *
 * Each event stays masked until the driver calls xen_irq_lateeoi().
 *
 * Context: process context.
 * Return: the IRQ number, or -errno.
 */
int bind_evtchn_to_irq_lateeoi(evtchn_port_t evtchn)
{
	return xevt_bind_port(evtchn, true, NULL);
}
EXPORT_SYMBOL_GPL(bind_evtchn_to_irq_lateeoi);

/**
 * bind_evtchn_to_irqhandler() - bind an existing port and request its IRQ
 * @evtchn:   the port.
 * @handler:  interrupt handler.
 * @irqflags: request_irq() flags.
 * @devname:  name shown in /proc/interrupts.
 * @dev_id:   cookie for the handler.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno (nothing stays bound).
 */
int bind_evtchn_to_irqhandler(evtchn_port_t evtchn, irq_handler_t handler,
			      unsigned long irqflags, const char *devname,
			      void *dev_id)
{
	return xevt_request(xevt_bind_port(evtchn, false, NULL), handler,
			    irqflags, devname, dev_id);
}
EXPORT_SYMBOL_GPL(bind_evtchn_to_irqhandler);

/**
 * bind_evtchn_to_irqhandler_lateeoi() - late EOI bind_evtchn_to_irqhandler()
 * @evtchn:   the port.
 * @handler:  interrupt handler; xen_irq_lateeoi() must follow each event.
 * @irqflags: request_irq() flags.
 * @devname:  name shown in /proc/interrupts.
 * @dev_id:   cookie for the handler.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno (nothing stays bound).
 */
int bind_evtchn_to_irqhandler_lateeoi(evtchn_port_t evtchn,
				      irq_handler_t handler,
				      unsigned long irqflags,
				      const char *devname, void *dev_id)
{
	return xevt_request(xevt_bind_port(evtchn, true, NULL), handler,
			    irqflags, devname, dev_id);
}
EXPORT_SYMBOL_GPL(bind_evtchn_to_irqhandler_lateeoi);

/**
 * bind_interdomain_evtchn_to_irq_lateeoi() - connect to a peer's port
 * @dev:         xenbus device of the connection (peer = its other end).
 * @remote_port: the peer's unbound port offered to us.
 *
 * Performs EVTCHNOP_bind_interdomain and binds the new local port with the
 * late EOI flow.  Events are counted in @dev's sysfs statistics.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno (the local port is closed again).
 */
int bind_interdomain_evtchn_to_irq_lateeoi(struct xenbus_device *dev,
					   evtchn_port_t remote_port)
{
	return xevt_bind_remote(dev, remote_port, true);
}
EXPORT_SYMBOL_GPL(bind_interdomain_evtchn_to_irq_lateeoi);

/**
 * bind_interdomain_evtchn_to_irqhandler_lateeoi() - connect and request
 * @dev:         xenbus device of the connection.
 * @remote_port: the peer's unbound port offered to us.
 * @handler:     interrupt handler; xen_irq_lateeoi() must follow each event.
 * @irqflags:    request_irq() flags.
 * @devname:     name shown in /proc/interrupts.
 * @dev_id:      cookie for the handler.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno (nothing stays bound).
 */
int bind_interdomain_evtchn_to_irqhandler_lateeoi(struct xenbus_device *dev,
						  evtchn_port_t remote_port,
						  irq_handler_t handler,
						  unsigned long irqflags, const char *devname,
						  void *dev_id)
{
	return xevt_request(xevt_bind_remote(dev, remote_port, true), handler,
			    irqflags, devname, dev_id);
}
EXPORT_SYMBOL_GPL(bind_interdomain_evtchn_to_irqhandler_lateeoi);

/*
 * Xen refused to bind @virq on @cpu again (-EEXIST): an earlier kernel
 * (kexec) left it bound.  Find that port.  Ports are valid from 1 up to
 * the highest one Xen has allocated; past it EVTCHNOP_status says -EINVAL.
 */
static int xevt_find_virq(unsigned int virq, unsigned int cpu,
			  evtchn_port_t *port)
{
	unsigned int max = evtchn_ops->max_channels();
	struct evtchn_status st;
	evtchn_port_t p;
	int rc;

	for (p = 1; p < max; p++) {
		memset(&st, 0, sizeof(st));
		st.dom = DOMID_SELF;
		st.port = p;
		rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
		if (rc == -EINVAL)
			break;
		if (rc || st.status != EVTCHNSTAT_virq)
			continue;
		if (st.u.virq == virq && st.vcpu == xen_vcpu_nr(cpu)) {
			*port = p;
			return 0;
		}
	}
	return -EEXIST;
}

static int xevt_virq_port(unsigned int virq, unsigned int cpu,
			  evtchn_port_t *port)
{
	struct evtchn_bind_virq op = {
		.virq = virq,
		.vcpu = xen_vcpu_nr(cpu),
	};
	int rc;

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
	if (!rc)
		*port = op.port;
	else if (rc == -EEXIST)
		rc = xevt_find_virq(virq, cpu, port);
	return rc;
}

/**
 * bind_virq_to_irq() - bind a Xen virtual IRQ
 * @virq:   VIRQ number.
 * @cpu:    CPU to bind it on (0 for global VIRQs).
 * @percpu: per-CPU VIRQ ("xen-percpu" chip, percpu flow) rather than a
 *          movable one ("xen-dyn" chip, edge flow).
 *
 * Context: process context.
 * Return: the IRQ number (the existing one if already bound), or -errno.
 */
int bind_virq_to_irq(unsigned int virq, unsigned int cpu, bool percpu)
{
	struct xevt_pcpu *pc;
	struct xevt_irq *xi;
	evtchn_port_t port;
	int ret;

	if (virq >= NR_VIRQS || cpu >= nr_cpu_ids)
		return -EINVAL;
	pc = per_cpu_ptr(&xevt_pcpu, cpu);

	mutex_lock(&xevt_lock);

	xi = rcu_dereference_protected(pc->virq[virq],
				       lockdep_is_held(&xevt_lock));
	if (xi) {
		ret = xi->irq;
		goto out;
	}

	ret = -ENOMEM;
	if (percpu)
		xi = xevt_new_dyn(&xevt_chip_percpu, handle_percpu_irq, "virq");
	else
		xi = xevt_new_dyn(&xevt_chip_dyn, handle_edge_irq, "virq");
	if (!xi)
		goto out;
	xi->kind = XEVT_VIRQ;
	xi->remote = DOMID_SELF;
	xi->u.virq.virq = virq;
	xi->u.virq.home = cpu;
	xi->u.virq.percpu = percpu;

	ret = xevt_virq_port(virq, cpu, &port);
	if (ret) {
		xevt_discard(xi);
		goto out;
	}
	ret = xevt_attach(xi, port, cpu, GFP_KERNEL);
	if (ret) {
		xevt_close(port);
		xevt_discard(xi);
		goto out;
	}
	if (percpu)
		xevt_pin(xi, cpu);
	rcu_assign_pointer(pc->virq[virq], xi);
	ret = xi->irq;
out:
	mutex_unlock(&xevt_lock);
	return ret;
}

/**
 * bind_virq_to_irqhandler() - bind a VIRQ and request its IRQ
 * @virq:     VIRQ number.
 * @cpu:      CPU to bind it on.
 * @handler:  interrupt handler.
 * @irqflags: request_irq() flags; IRQF_PERCPU selects a per-CPU binding.
 * @devname:  name shown in /proc/interrupts.
 * @dev_id:   cookie for the handler.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno.
 */
int bind_virq_to_irqhandler(unsigned int virq, unsigned int cpu,
			    irq_handler_t handler, unsigned long irqflags,
			    const char *devname, void *dev_id)
{
	return xevt_request(bind_virq_to_irq(virq, cpu,
					     irqflags & IRQF_PERCPU),
			    handler, irqflags, devname, dev_id);
}
EXPORT_SYMBOL_GPL(bind_virq_to_irqhandler);

static int xevt_ipi_port(unsigned int cpu, evtchn_port_t *port)
{
	struct evtchn_bind_ipi op = { .vcpu = xen_vcpu_nr(cpu) };
	int rc;

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
	if (!rc)
		*port = op.port;
	return rc;
}

static int xevt_bind_ipi(enum ipi_vector vector, unsigned int cpu)
{
	struct xevt_pcpu *pc = per_cpu_ptr(&xevt_pcpu, cpu);
	struct xevt_irq *xi;
	evtchn_port_t port;
	int ret;

	mutex_lock(&xevt_lock);

	xi = pc->ipi[vector];
	if (xi) {
		ret = xi->irq;
		goto out;
	}

	ret = -ENOMEM;
	xi = xevt_new_dyn(&xevt_chip_percpu, handle_percpu_irq, "ipi");
	if (!xi)
		goto out;
	xi->kind = XEVT_IPI;
	xi->remote = DOMID_SELF;
	xi->u.ipi.vector = vector;
	xi->u.ipi.home = cpu;

	ret = xevt_ipi_port(cpu, &port);
	if (ret) {
		xevt_discard(xi);
		goto out;
	}
	ret = xevt_attach(xi, port, cpu, GFP_KERNEL);
	if (ret) {
		xevt_close(port);
		xevt_discard(xi);
		goto out;
	}
	xevt_pin(xi, cpu);
	pc->ipi[vector] = xi;
	WRITE_ONCE(pc->ipi_port[vector], port);
	ret = xi->irq;
out:
	mutex_unlock(&xevt_lock);
	return ret;
}

/**
 * bind_ipi_to_irqhandler() - bind an IPI vector of a CPU and request it
 * @ipi:      the vector.
 * @cpu:      the CPU that receives it.
 * @handler:  interrupt handler.
 * @irqflags: request_irq() flags; IPIs are always kept across suspend.
 * @devname:  name shown in /proc/interrupts.
 * @dev_id:   cookie for the handler.
 *
 * Context: process context.
 * Return: the IRQ number, or -errno.
 */
int bind_ipi_to_irqhandler(enum ipi_vector ipi, unsigned int cpu,
			   irq_handler_t handler, unsigned long irqflags,
			   const char *devname, void *dev_id)
{
	int irq = -EINVAL;

	if (ipi < XEN_NR_IPIS && cpu < nr_cpu_ids)
		irq = xevt_bind_ipi(ipi, cpu);
	irqflags |= IRQF_NO_SUSPEND | IRQF_FORCE_RESUME | IRQF_EARLY_RESUME;
	return xevt_request(irq, handler, irqflags, devname, dev_id);
}

/**
 * unbind_from_irqhandler() - free an IRQ and close its port
 * @irq:    an IRQ from one of the bind_*() functions.
 * @dev_id: the cookie passed when binding.
 *
 * For refcounted ports (evtchn_make_refcounted()) the port is closed when
 * the last reference goes.
 *
 * Context: process context.
 */
void unbind_from_irqhandler(unsigned int irq, void *dev_id)
{
	if (WARN(!xevt_from_irq(irq), "IRQ %u is not an event channel\n",
		 irq))
		return;
	free_irq(irq, dev_id);
	xevt_unbind_irq(irq);
}
EXPORT_SYMBOL_GPL(unbind_from_irqhandler);

/**
 * evtchn_make_refcounted() - let a port be shared with evtchn_get()
 * @evtchn: a bound port; it gets one reference, owned by the binder.
 *
 * Context: process context.
 * Return: 0, or -ENOENT if @evtchn is not bound.
 */
int evtchn_make_refcounted(evtchn_port_t evtchn)
{
	struct xevt_irq *xi;
	int ret = -ENOENT;

	mutex_lock(&xevt_lock);
	xi = xevt_from_port(evtchn);
	if (xi) {
		WARN_ON(xi->refs != -1);
		xi->refs = 1;
		ret = 0;
	}
	mutex_unlock(&xevt_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(evtchn_make_refcounted);

/**
 * evtchn_get() - take a reference on a refcounted port
 * @evtchn: the port.
 *
 * Context: process context.
 * Return: 0; -ENOENT if not bound; -EINVAL if not refcounted, out of range
 * or the count would overflow.
 */
int evtchn_get(evtchn_port_t evtchn)
{
	struct xevt_irq *xi;
	int ret = -EINVAL;

	if (evtchn >= evtchn_ops->max_channels())
		return -EINVAL;

	mutex_lock(&xevt_lock);
	xi = xevt_from_port(evtchn);
	if (!xi) {
		ret = -ENOENT;
	} else if (xi->refs > 0 && xi->refs < S16_MAX) {
		xi->refs++;
		ret = 0;
	}
	mutex_unlock(&xevt_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(evtchn_get);

/**
 * evtchn_put() - drop a reference taken with evtchn_get()
 * @evtchn: the port; closed when its last reference goes.
 *
 * Context: process context.
 */
void evtchn_put(evtchn_port_t evtchn)
{
	struct xevt_irq *xi;

	mutex_lock(&xevt_lock);
	xi = xevt_from_port(evtchn);
	if (!WARN(!xi, "put of unbound port %u\n", evtchn))
		xevt_unbind(xi);
	mutex_unlock(&xevt_lock);
}
EXPORT_SYMBOL_GPL(evtchn_put);

/**
 * rebind_evtchn_irq() - give an IRQ a new port (after resume)
 * @evtchn: the new, unbound port.
 * @irq:    an IRQ bound with bind_evtchn_to_irq*().
 *
 * The IRQ is delivered to CPU 0, where Xen puts a new port.
 *
 * Context: process context.
 */
void rebind_evtchn_irq(evtchn_port_t evtchn, int irq)
{
	struct xevt_irq *xi = xevt_from_irq(irq);
	int err;

	if (WARN(!xi || xi->kind != XEVT_PORT,
		 "IRQ %d is not a port binding\n", irq))
		return;

	disable_irq(irq);
	mutex_lock(&xevt_lock);
	if (WARN(xevt_from_port(evtchn), "port %u is already bound\n",
		 evtchn)) {
		mutex_unlock(&xevt_lock);
		enable_irq(irq);
		return;
	}
	xevt_detach(xi);
	/* The new port may lead elsewhere; ask Xen again when needed. */
	xi->remote = xi->u.dev ? xi->u.dev->otherend_id : XEVT_REMOTE_UNKNOWN;
	err = xevt_attach(xi, evtchn, 0, GFP_KERNEL);
	mutex_unlock(&xevt_lock);

	if (err)
		pr_err("IRQ %d: cannot bind port %u (%d)\n", irq, evtchn, err);
	else
		irq_data_update_effective_affinity(irq_get_irq_data(irq),
						   cpumask_of(0));
	enable_irq(irq);
}

/* ---- Small services ---------------------------------------------------- */

/**
 * xen_evtchn_nr_channels() - ports usable right now
 *
 * This may grow (FIFO) up to the ABI's maximum.
 *
 * Return: the number of ports, port numbers are below it.
 */
unsigned int xen_evtchn_nr_channels(void)
{
	return evtchn_ops->nr_channels();
}
EXPORT_SYMBOL_GPL(xen_evtchn_nr_channels);

/**
 * irq_from_evtchn() - the IRQ bound to a port
 * @evtchn: the port.
 *
 * Return: the IRQ number, or -1 (as unsigned int) if the port is unbound.
 */
unsigned int irq_from_evtchn(evtchn_port_t evtchn)
{
	struct xevt_irq *xi;
	unsigned int irq = -1;

	rcu_read_lock();
	xi = xevt_from_port(evtchn);
	if (xi)
		irq = xi->irq;
	rcu_read_unlock();
	return irq;
}
EXPORT_SYMBOL_GPL(irq_from_evtchn);

/**
 * irq_evtchn_from_virq() - IRQ and port of a VIRQ bound on a CPU
 * @cpu:    CPU.
 * @virq:   VIRQ number.
 * @evtchn: set to the port, 0 if unbound.
 *
 * Return: the IRQ number, or -1 if @virq is not bound on @cpu.
 */
int irq_evtchn_from_virq(unsigned int cpu, unsigned int virq,
			 evtchn_port_t *evtchn)
{
	struct xevt_irq *xi = NULL;
	int irq = -1;

	*evtchn = 0;
	if (virq >= NR_VIRQS || cpu >= nr_cpu_ids)
		return -1;
	rcu_read_lock();
	xi = rcu_dereference(per_cpu(xevt_pcpu, cpu).virq[virq]);
	if (xi) {
		irq = xi->irq;
		*evtchn = READ_ONCE(xi->port);
	}
	rcu_read_unlock();
	return irq;
}

/**
 * notify_remote_via_irq() - signal the other end of an IRQ's port
 * @irq: the IRQ.
 *
 * Unlike notify_remote_via_evtchn() this survives save/restore.  Does
 * nothing if the IRQ has no port at the moment.
 */
void notify_remote_via_irq(int irq)
{
	evtchn_port_t port = xevt_port_of(irq);

	if (port)
		notify_remote_via_evtchn(port);
}
EXPORT_SYMBOL_GPL(notify_remote_via_irq);

/**
 * xen_set_irq_priority() - set the delivery priority of an IRQ's port
 * @irq:      the IRQ.
 * @priority: XEN_IRQ_PRIORITY_MAX (0, highest) .. XEN_IRQ_PRIORITY_MIN.
 *
 * Context: process context.
 * Return: 0; -EINVAL for a bad priority or an IRQ without port;
 * -EOPNOTSUPP if the ABI has no priorities; or Xen's error.
 */
int xen_set_irq_priority(unsigned int irq, unsigned int priority)
{
	struct xevt_irq *xi;
	evtchn_port_t port;
	int ret = -EINVAL;

	if (priority > XEN_IRQ_PRIORITY_MIN)
		return -EINVAL;
	rcu_read_lock();
	xi = xevt_from_irq(irq);
	port = xi ? READ_ONCE(xi->port) : 0;
	if (port) {
		ret = evtchn_op_set_priority(port, priority);
		if (!ret)
			WRITE_ONCE(xi->prio, priority);
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(xen_set_irq_priority);

#ifdef CONFIG_X86
/* An NMI is no event channel: Xen injects it on request. */
static bool xevt_send_nmi(unsigned int cpu, enum ipi_vector vector)
{
	int rc;

	if (vector != XEN_NMI_VECTOR)
		return false;
	rc = HYPERVISOR_vcpu_op(VCPUOP_send_nmi, xen_vcpu_nr(cpu), NULL);
	if (rc)
		pr_warn_ratelimited("NMI to CPU %u failed (%d)\n", cpu, rc);
	return true;
}
#else
static bool xevt_send_nmi(unsigned int cpu, enum ipi_vector vector)
{
	return false;
}
#endif

/**
 * xen_send_IPI_one() - send an IPI vector to a CPU
 * @cpu:    target CPU.
 * @vector: the vector; XEN_NMI_VECTOR goes through VCPUOP_send_nmi.
 *
 * Context: any.
 */
void xen_send_IPI_one(unsigned int cpu, enum ipi_vector vector)
{
	evtchn_port_t port;

	if (unlikely(xevt_send_nmi(cpu, vector)))
		return;
	if (WARN_ON_ONCE(vector >= XEN_NR_IPIS))
		return;
	port = READ_ONCE(per_cpu(xevt_pcpu, cpu).ipi_port[vector]);
	if (WARN_ONCE(!port, "IPI %d to CPU %u: not bound\n", vector, cpu))
		return;
	notify_remote_via_evtchn(port);
}

/**
 * xen_clear_irq_pending() - end the current event of an IRQ (for polling)
 * @irq: the IRQ.
 */
void xen_clear_irq_pending(int irq)
{
	struct xevt_irq *xi;

	rcu_read_lock();
	xi = xevt_from_irq(irq);
	if (xi)
		xevt_event_done(xi);
	rcu_read_unlock();
}
EXPORT_SYMBOL(xen_clear_irq_pending);

/**
 * xen_set_irq_pending() - mark an IRQ's port pending (no notification)
 * @irq: the IRQ.
 */
void xen_set_irq_pending(int irq)
{
	evtchn_port_t port = xevt_port_of(irq);

	if (port)
		evtchn_ops->set_pending(port);
}

/**
 * xen_test_irq_pending() - is an IRQ's port pending?
 * @irq: the IRQ.
 *
 * Return: true if the port is pending, false otherwise or if it has none.
 */
bool xen_test_irq_pending(int irq)
{
	evtchn_port_t port = xevt_port_of(irq);

	return port && evtchn_ops->is_pending(port);
}

/**
 * xen_poll_irq_timeout() - block until an IRQ's port is pending
 * @irq:     the IRQ (usually disabled, so that no handler runs).
 * @timeout: absolute system time in ns at which to give up, 0 for never.
 *
 * Context: process or atomic context; the vCPU blocks in Xen.
 */
void xen_poll_irq_timeout(int irq, u64 timeout)
{
	evtchn_port_t port = xevt_port_of(irq);
	struct sched_poll poll = { .nr_ports = 1, .timeout = timeout };
	int rc;

	if (!port)
		return;
	set_xen_guest_handle(poll.ports, &port);
	rc = HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
	WARN_ONCE(rc, "SCHEDOP_poll on port %u failed (%d)\n", port, rc);
}
EXPORT_SYMBOL(xen_poll_irq_timeout);

/**
 * xen_poll_irq() - block until an IRQ's port is pending, no timeout
 * @irq: the IRQ.
 */
void xen_poll_irq(int irq)
{
	xen_poll_irq_timeout(irq, 0);
}

/**
 * xevt_kind_name() - what a binding is, for messages and debugfs
 * @xi: the binding.
 *
 * Return: a static string.
 */
const char *xevt_kind_name(const struct xevt_irq *xi)
{
	switch (xi->kind) {
	case XEVT_PORT:
		return xi->u.dev ? "interdomain" : "evtchn";
	case XEVT_VIRQ:
		return "virq";
	case XEVT_IPI:
		return "ipi";
	case XEVT_PIRQ:
		return "pirq";
	default:
		return "none";
	}
}

/* ---- Suspend / resume -------------------------------------------------- */

/*
 * Bind a VIRQ or IPI again in the new domain, on the CPU it was on.  A
 * global VIRQ can only be bound on vCPU 0; it is moved on afterwards.
 */
static void xevt_rebind_percpu(struct xevt_irq *xi)
{
	unsigned int want = xi->cpu, on;
	evtchn_port_t port;
	int err;

	if (xi->kind == XEVT_VIRQ) {
		on = xi->u.virq.percpu ? xi->u.virq.home : 0;
		err = xevt_virq_port(xi->u.virq.virq, on, &port);
	} else {
		on = xi->u.ipi.home;
		err = xevt_ipi_port(on, &port);
	}
	if (!err) {
		err = xevt_attach(xi, port, on, GFP_ATOMIC);
		if (err)
			xevt_close(port);
	}
	if (err) {
		pr_err("resume: IRQ %u (%s) not bound again (%d)\n",
		       xi->irq, xevt_kind_name(xi), err);
		return;
	}

	if (xi->kind == XEVT_VIRQ && !xi->u.virq.percpu) {
		xevt_virq_follow(xi, on);
		if (want != on && cpu_online(want))
			xevt_move(xi, want);
	} else if (xi->kind == XEVT_IPI) {
		WRITE_ONCE(per_cpu(xevt_pcpu, on).ipi_port[xi->u.ipi.vector],
			   port);
	}
	if (xi->prio != XEN_IRQ_PRIORITY_DEFAULT)
		evtchn_op_set_priority(port, xi->prio);
}

/**
 * xen_irq_resume() - rebuild the bindings after resuming in a new domain
 *
 * Every port number of the old domain is meaningless now.  The ABI
 * registers again, all bindings lose their port, and VIRQs and IPIs are
 * bound again on the same CPUs.  Inter-domain ports stay unbound: their
 * drivers reconnect (xenbus) and call rebind_evtchn_irq() or bind anew.
 * Only called when Xen reported a new domain, never after a cancelled
 * suspend.  A toolstack's slow resume (xc_domain_resume() with fast=0)
 * reports a new domain although Xen kept the old one, ports and all; when
 * the ABI backend finds its registration still in place, nothing is
 * rebound and every binding keeps its port, as after a cancelled suspend.
 *
 * Context: stop_machine(), interrupts disabled, other CPUs parked.
 */
void xen_irq_resume(void)
{
	struct xevt_irq *xi;
	unsigned int i, n;

	if (evtchn_op_resume()) {
		pr_info("resumed in the same domain: every event channel kept\n");
		return;
	}

	list_for_each_entry(xi, &xevt_list, node) {
		WRITE_ONCE(xi->port, 0);
		xevt_uncount(xi);
		if (xi->kind == XEVT_IPI)
			WRITE_ONCE(per_cpu(xevt_pcpu, xi->u.ipi.home)
				   .ipi_port[xi->u.ipi.vector], 0);
	}
	for (i = 0; i < xevt_dir_rows; i++) {
		if (!xevt_dir[i])
			continue;
		for (n = 0; n < XEVT_ROW_SLOTS; n++)
			RCU_INIT_POINTER(xevt_dir[i]->slot[n], NULL);
	}
	xevt_ports_reset();

	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind == XEVT_VIRQ || xi->kind == XEVT_IPI)
			xevt_rebind_percpu(xi);
	}

	xevt_pirq_resume();
}

/* ---- CPU hotplug ------------------------------------------------------- */

static int xevt_cpu_prepare(unsigned int cpu)
{
	return evtchn_op_percpu(cpu, true);
}

static int xevt_cpu_dead(unsigned int cpu)
{
	return evtchn_op_percpu(cpu, false);
}

/* ---- HVM callback vectors (x86) ---------------------------------------- */

#if defined(CONFIG_X86) && defined(CONFIG_XEN_PVHVM)
/**
 * xen_setup_callback_vector() - have Xen raise the global callback vector
 *
 * On failure events arrive through the platform PCI device instead.
 */
void xen_setup_callback_vector(void)
{
	u64 via = HVM_CALLBACK_VECTOR(HYPERVISOR_CALLBACK_VECTOR);

	if (!xen_have_vector_callback)
		return;
	if (xen_set_callback_via(via)) {
		pr_err("Xen refused the HVM callback vector; using platform PCI\n");
		xen_have_vector_callback = false;
	}
}

/**
 * xen_set_upcall_vector() - give a vCPU its own upcall vector
 * @cpu: the CPU.
 *
 * Return: 0, or Xen's error.
 */
int xen_set_upcall_vector(unsigned int cpu)
{
	xen_hvm_evtchn_upcall_vector_t op = {
		.vcpu = per_cpu(xen_vcpu_id, cpu),
		.vector = HYPERVISOR_CALLBACK_VECTOR,
	};
	int rc;

	rc = HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &op);
	/*
	 * Also set a callback "via" once: toolstacks take its presence as
	 * the sign of a PV-aware guest.
	 */
	if (!rc && cpu == 0)
		rc = xen_set_callback_via(1);
	return rc;
}

static void __init xevt_hvm_vector_init(void)
{
	u32 features;

	if (!xen_have_vector_callback)
		return;

	/* Best: a vector per vCPU, which Xen advertises in CPUID. */
	features = cpuid_eax(xen_cpuid_base() + 4);
	if ((features & XEN_HVM_CPUID_UPCALL_VECTOR) &&
	    xen_set_upcall_vector(0) == 0) {
		xen_percpu_upcall = true;
	} else if (xen_feature(XENFEAT_hvm_callback_vector)) {
		/* Next best: one vector for all vCPUs. */
		xen_setup_callback_vector();
		if (!xen_have_vector_callback)
			return;
	} else {
		/* Events come through the platform PCI device's interrupt. */
		xen_have_vector_callback = false;
		return;
	}

	alloc_intr_gate(HYPERVISOR_CALLBACK_VECTOR, asm_sysvec_xen_hvm_callback);
	pr_info("Xen HVM callback vector for event delivery is enabled\n");
}
#else
void xen_setup_callback_vector(void)
{
}

int xen_set_upcall_vector(unsigned int cpu)
{
	return -ENODEV;
}

static inline void xevt_hvm_vector_init(void)
{
}
#endif

/* ---- Choosing the ABI and starting up ---------------------------------- */

struct xevt_abi {
	const char *key;	/* xen.evtchn_abi= value */
	const char *label;	/* for messages, as the backend names itself */
	int (*probe)(const struct evtchn_ops **ops);
};

/*
 * Best first.  3-level is only granted by a hypervisor that implements it
 * (Documentation/xen/evtchn-3level-abi.rst) and only to dom0 and driver
 * domains: its probe asks first (EVTCHN_3L_QUERY) and allocates nothing
 * when told no.
 */
static const struct xevt_abi xevt_abis[] __initconst = {
	{ "fifo",	"FIFO-based",	evtchn_fifo_probe },
	{ "3level",	"3-level",	evtchn_3l_probe },
	{ "2level",	"2-level",	evtchn_2l_probe },
};

static bool __init xevt_try(const struct xevt_abi *abi, bool forced)
{
	int err = abi->probe(&evtchn_ops);

	if (!err)
		return true;
	if (forced)
		pr_warn("%s ABI (xen.evtchn_abi=%s) refused (%d), using the default order\n",
			abi->label, abi->key, err);
	else
		pr_info("%s ABI refused (%d), trying the next one\n",
			abi->label, err);
	return false;
}

static void __init xevt_choose_abi(void)
{
	const struct xevt_abi *forced = NULL, *abi = NULL;
	unsigned int i;

	if (xevt_abi_param[0]) {
		for (i = 0; i < ARRAY_SIZE(xevt_abis) && !forced; i++)
			if (sysfs_streq(xevt_abi_param, xevt_abis[i].key))
				forced = &xevt_abis[i];
		if (!forced)
			pr_warn("xen.evtchn_abi=%s is not an ABI of this kernel, using the default order\n",
				xevt_abi_param);
	}

	if (forced && xevt_try(forced, true))
		abi = forced;
	for (i = 0; i < ARRAY_SIZE(xevt_abis) && !abi; i++) {
		if (&xevt_abis[i] == forced)
			continue;
		if (!xen_fifo_events && xevt_abis[i].probe == evtchn_fifo_probe)
			continue;
		if (xevt_try(&xevt_abis[i], false))
			abi = &xevt_abis[i];
	}
	if (!abi)
		panic("xen:events: no event channel ABI accepted\n");

	xen_fifo_events = abi->probe == evtchn_fifo_probe;
	pr_info("Using %s ABI\n", evtchn_ops->name);
	pr_info("Event channel capacity: %u ports (%u usable now)\n",
		evtchn_ops->max_channels(), evtchn_ops->nr_channels());
}

/**
 * xen_init_IRQ() - set up event channels at boot
 *
 * Chooses the ABI, masks every port, installs the CPU hotplug hooks and,
 * on x86, the PIRQ and callback vector plumbing.
 *
 * Context: early boot (init_IRQ()), boot CPU only.
 */
void __init xen_init_IRQ(void)
{
	evtchn_port_t port;
	int rc;

	xevt_choose_abi();

	xevt_dir_rows = DIV_ROUND_UP(evtchn_ops->max_channels(),
				     XEVT_ROW_SLOTS);
	xevt_dir = kcalloc(xevt_dir_rows, sizeof(*xevt_dir), GFP_KERNEL);
	if (!xevt_dir)
		panic("xen:events: no memory for the port table\n");

	/* Nothing is bound yet: no port may fire before it has an IRQ. */
	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		evtchn_ops->mask(port);

	xevt_eoi_init();

	rc = cpuhp_setup_state_nocalls(CPUHP_XEN_EVTCHN_PREPARE,
				       "xen/evtchn:prepare",
				       xevt_cpu_prepare, xevt_cpu_dead);
	if (rc)
		pr_err("CPU hotplug hooks not installed (%d)\n", rc);

	xevt_pirq_init();

#ifdef CONFIG_X86
	if (xen_pv_domain() && xen_initial_domain())
		pci_xen_initial_domain();
	xevt_hvm_vector_init();
	if (xen_hvm_domain()) {
		native_init_IRQ();
		/* After native_init_IRQ(): it hooks __acpi_register_gsi. */
		pci_xen_hvm_init();
	}
#endif
}
