// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the ABI-independent core's data, bindings and chips.
 *
 * Xen signals a guest through numbered event channels ("ports").  The core
 * gives each bound port a Linux IRQ, so drivers see ordinary interrupts.
 * It is split the way kernel/irq is:
 *
 *   events_base.c     this file: the port table (port -> binding), the
 *                     life of a binding (attach to a port, detach, free
 *                     after a grace period), the mask reasons, and the
 *                     irq_chips with their callbacks (ack, mask, affinity)
 *   events_bind.c     the public bind/unbind API and small services
 *   events_upcall.c   the upcall: pending ports -> IRQs (hot path)
 *   events_setup.c    choosing and switching the ABI, resume, CPU hotplug
 *   events_lateeoi.c  late EOIs and their per-CPU delay queue
 *   events_pirq.c     physical IRQs (dom0, passthrough)
 *   events_usage.c    per-domain accounting; events_debugfs.c: debugfs
 *
 * What differs between ABIs (where the pending and mask bits are, how
 * pending ports are found) is behind struct evtchn_ops, implemented by
 * events_2l.c, events_fifo.c and events_3l.c (events_internal.h).
 *
 * Locks: xevt_lock for every change of the port table and of bindings
 * (except PIRQ startup, see xevt_row_for()), a binding's mask_lock for
 * its mask reasons; the full order is in events_core.h.  Design and
 * parameters: Documentation/xen/events.rst.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/irq.h>
#include <linux/irqnr.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include <xen/xenbus.h>

#include "events_core.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen."

/* ---- Core state -------------------------------------------------------- */

/* The ABI in use; changed only by events_setup.c (boot, switch, resume). */
const struct evtchn_ops *evtchn_ops __read_mostly;

/* Serialises binding changes; see the lock order in events_core.h. */
DEFINE_MUTEX(xevt_lock);
/* Every binding, under xevt_lock. */
LIST_HEAD(xevt_list);

/*
 * Linux IRQ -> binding, for PIRQs only (xevt_new()).  Lock-free lookups
 * (RCU inside the XArray).  A port, VIRQ or IPI binding is the chip data
 * of its own descriptor instead (xevt_new_dyn()): binding and unbinding
 * then insert and erase nothing.
 */
static DEFINE_XARRAY(xevt_irqs);

/*
 * Descriptors of unbound ports, VIRQs and IPIs kept for the next bind
 * (xevt_desc_get()), at most xen.evtchn_irq_cache of them: a bind then
 * allocates no descriptor, sysfs or /proc/irq directory, and an unbind
 * frees none.  A descriptor enters the cache only after the RCU grace
 * period that follows its unbind (xevt_free_rcu()), when no upcall can
 * hold its old binding any more, and reset to the state of a new one
 * (irq_reinit_desc(): counts, settings, affinity, no chip).  The lock is
 * a leaf: taken under xevt_lock (bind) or alone (the RCU work), never
 * with a descriptor's lock held.
 */
#define XEVT_IRQ_CACHE_MAX	256
static unsigned int xevt_irq_cache = 64;

static DEFINE_SPINLOCK(xevt_desc_lock);
static unsigned int xevt_desc_nr;
static unsigned int xevt_desc_irqs[XEVT_IRQ_CACHE_MAX];

static void xevt_desc_trim(unsigned int keep);

/* xen.evtchn_irq_cache: a new limit frees the descriptors above it. */
static int xevt_irq_cache_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int err;

	err = kstrtouint(val, 0, &n);
	if (err)
		return err;
	if (n > XEVT_IRQ_CACHE_MAX)
		return -EINVAL;
	WRITE_ONCE(xevt_irq_cache, n);
	xevt_desc_trim(n);
	return 0;
}

static int xevt_irq_cache_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(xevt_irq_cache));
}

static const struct kernel_param_ops xevt_irq_cache_ops = {
	.set = xevt_irq_cache_set,
	.get = xevt_irq_cache_get,
};
module_param_cb(evtchn_irq_cache, &xevt_irq_cache_ops, NULL, 0644);
MODULE_PARM_DESC(evtchn_irq_cache,
		 "IRQ descriptors of unbound event channels kept for reuse (0-256)");

/*
 * Port -> binding.  A directory of pointers to rows of slots, sized once
 * for the most ports any ABI of this kernel can address (4 KiB of
 * pointers on 64-bit), so that a run-time switch to a bigger ABI needs no
 * new one.  A row is allocated the first time one of its ports is bound
 * and lives for good (after resume its slots are simply cleared).  Slots
 * are pointers, so every load and store is single-copy atomic; readers use
 * rcu_dereference().
 */
#define XEVT_ROW_SLOTS	(PAGE_SIZE / sizeof(void *))

struct xevt_row {
	struct xevt_irq __rcu *slot[XEVT_ROW_SLOTS];
};

static struct xevt_row **xevt_dir __read_mostly;
static unsigned int xevt_dir_rows __read_mostly;

DEFINE_PER_CPU(struct xevt_pcpu, xevt_pcpu);
DEFINE_PER_CPU(unsigned int, xevt_epoch);

/* ---- The port table ---------------------------------------------------- */

bool xevt_port_ok(evtchn_port_t port)
{
	/* Xen never hands out port 0. */
	return port && port < evtchn_ops->max_channels();
}

#define XEVT_TABLE_PORTS	max_t(unsigned int, EVTCHN_FIFO_NR_CHANNELS, \
				      EVTCHN_3L_NR_CHANNELS)

/* Allocate the directory (boot). */
int __init xevt_table_init(void)
{
	xevt_dir_rows = DIV_ROUND_UP(XEVT_TABLE_PORTS, XEVT_ROW_SLOTS);
	xevt_dir = kcalloc(xevt_dir_rows, sizeof(*xevt_dir), GFP_KERNEL);
	return xevt_dir ? 0 : -ENOMEM;
}

/*
 * Forget every port (resume in a new domain).  Rows stay allocated.
 * Context: stop_machine(): no reader can be looking.
 */
void xevt_table_clear(void)
{
	unsigned int i, n;

	for (i = 0; i < xevt_dir_rows; i++) {
		if (!xevt_dir[i])
			continue;
		for (n = 0; n < XEVT_ROW_SLOTS; n++)
			RCU_INIT_POINTER(xevt_dir[i]->slot[n], NULL);
	}
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

/* Is @chip one of those whose descriptors carry their binding? */
static bool xevt_chip_is_dyn(const struct irq_chip *chip)
{
	return chip == &xevt_chip_dyn || chip == &xevt_chip_lateeoi ||
	       chip == &xevt_chip_percpu;
}

/**
 * xevt_from_irq() - the binding of a Linux IRQ
 * @irq: IRQ number.
 *
 * A port, VIRQ or IPI is found through its descriptor, whose chip data it
 * is while its chip is one of ours; a PIRQ in xevt_irqs.
 *
 * Context: any; the caller keeps the result alive (RCU, xevt_lock, or the
 * IRQ being requested).
 * Return: the binding, or NULL if @irq is not one of ours.
 */
struct xevt_irq *xevt_from_irq(unsigned int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_data *d;

	if (!desc)
		return NULL;
	d = irq_desc_get_irq_data(desc);
	if (xevt_chip_is_dyn(irq_data_get_irq_chip(d)))
		return irq_data_get_irq_chip_data(d);
	return xa_load(&xevt_irqs, irq);
}

/* The port behind @irq, 0 if none. */
evtchn_port_t xevt_port_of(unsigned int irq)
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

/* ---- Descriptors of ports, VIRQs and IPIs ------------------------------ */

/* A descriptor for a new binding: a kept one, or a new one. */
static int xevt_desc_get(void)
{
	int irq = -ENOENT;

	spin_lock(&xevt_desc_lock);
	if (xevt_desc_nr)
		irq = xevt_desc_irqs[--xevt_desc_nr];
	spin_unlock(&xevt_desc_lock);
	return irq >= 0 ? irq : irq_alloc_desc(NUMA_NO_NODE);
}

static bool xevt_desc_room(void)
{
	lockdep_assert_held(&xevt_desc_lock);
	return xevt_desc_nr < READ_ONCE(xevt_irq_cache);
}

/*
 * Keep @irq for the next bind, reset, or free it if the cache is full or
 * the descriptor is still in use (irq_reinit_desc() refuses one with an
 * action: a caller that never called free_irq()).
 *
 * Context: process context; nothing may use @irq's old state any more.
 */
static void xevt_desc_put(unsigned int irq)
{
	bool room;

	spin_lock(&xevt_desc_lock);
	room = xevt_desc_room();
	spin_unlock(&xevt_desc_lock);

	/* Reset outside the lock: it takes the descriptor's mutex. */
	if (room && !irq_reinit_desc(irq)) {
		spin_lock(&xevt_desc_lock);
		room = xevt_desc_room();
		if (room)
			xevt_desc_irqs[xevt_desc_nr++] = irq;
		spin_unlock(&xevt_desc_lock);
		if (room)
			return;
	}
	irq_free_desc(irq);
}

/**
 * xevt_desc_cached() - descriptors kept for reuse
 *
 * Return: how many there are now.  They are allocated but belong to no
 * binding: a count of the IRQs in use leaves them out.
 */
unsigned int xevt_desc_cached(void)
{
	return READ_ONCE(xevt_desc_nr);
}

/* Free the kept descriptors beyond the first @keep. */
static void xevt_desc_trim(unsigned int keep)
{
	int irq;

	for (;;) {
		irq = -ENOENT;
		spin_lock(&xevt_desc_lock);
		if (xevt_desc_nr > keep)
			irq = xevt_desc_irqs[--xevt_desc_nr];
		spin_unlock(&xevt_desc_lock);
		if (irq < 0)
			return;
		irq_free_desc(irq);
	}
}

/**
 * xevt_desc_drain() - free every descriptor kept for reuse
 *
 * Context: process context.
 */
void xevt_desc_drain(void)
{
	xevt_desc_trim(0);
}

/* ---- Life of a binding ------------------------------------------------- */

static struct xevt_irq *xevt_alloc(int irq, bool own_desc)
{
	struct xevt_irq *xi = kzalloc(sizeof(*xi), GFP_KERNEL);

	if (!xi)
		return NULL;
	xi->irq = irq;
	xi->desc = irq_to_desc(irq);
	xi->own_desc = own_desc;
	xi->refs = -1;
	xi->prio = XEN_IRQ_PRIORITY_DEFAULT;
	xi->mask_why = XEVT_MASK_IRQCORE;
	xi->remote = XEVT_REMOTE_UNKNOWN;
	raw_spin_lock_init(&xi->mask_lock);
	INIT_LIST_HEAD(&xi->eoi_node);
	return xi;
}

/**
 * xevt_new() - create the binding record of a PIRQ's Linux IRQ
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
	struct xevt_irq *xi = xevt_alloc(irq, own_desc);

	if (!xi)
		goto fail;
	if (xa_insert(&xevt_irqs, irq, xi, GFP_KERNEL)) {
		kfree(xi);
		goto fail;
	}
	list_add_tail(&xi->node, &xevt_list);
	/*
	 * A descriptor of our own carries its binding as chip data, for the
	 * per-event irq_chip callbacks (xevt_from_data()).  A GSI's
	 * descriptor is not ours: its chip data is left alone.
	 */
	if (own_desc)
		irq_set_chip_data(irq, xi);

	/* Our affinity changes need no interrupt context. */
	irq_set_status_flags(irq, IRQ_MOVE_PCNTXT);
	irq_clear_status_flags(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN);
	return xi;

fail:
	if (own_desc)
		irq_free_desc(irq);
	return NULL;
}

/*
 * The chip data of a port's, VIRQ's or IPI's own descriptor: the binding,
 * or NULL once it is discarded.  Written without irq_set_chip_data()'s
 * lookup and descriptor lock: the descriptor is ours and not requested
 * (a new one, or free_irq() returned), so no chip callback runs but an
 * ack of a stale event, which reads the pointer once (xevt_from_data()).
 */
static void xevt_set_own_data(struct xevt_irq *xi, struct xevt_irq *data)
{
	WRITE_ONCE(irq_desc_get_irq_data(xi->desc)->chip_data, data);
}

/**
 * xevt_new_dyn() - create a port, VIRQ or IPI binding and its IRQ
 * @chip:      xevt_chip_dyn, xevt_chip_lateeoi or xevt_chip_percpu.
 * @flow:      the flow handler.
 * @flow_name: its name in /proc/interrupts.
 *
 * The descriptor is a kept one when there is one (xevt_desc_get()).  The
 * binding starts unbound and masked for the irq core, as xevt_new()'s.
 *
 * Context: process context, xevt_lock held.
 * Return: the binding, or NULL.
 */
struct xevt_irq *xevt_new_dyn(const struct irq_chip *chip,
			      irq_flow_handler_t flow, const char *flow_name)
{
	struct xevt_irq *xi;
	int irq;

	irq = xevt_desc_get();
	if (irq < 0)
		return NULL;
	xi = xevt_alloc(irq, true);
	if (!xi) {
		xevt_desc_put(irq);
		return NULL;
	}
	xi->dyn = true;
	list_add_tail(&xi->node, &xevt_list);
	/* The chip first: xevt_from_irq() trusts the data of our chips. */
	irq_set_chip_and_handler_name(irq, chip, flow, flow_name);
	xevt_set_own_data(xi, xi);
	/* Our affinity changes need no interrupt context. */
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN, IRQ_MOVE_PCNTXT);
	return xi;
}

static void xevt_free_rcu(struct work_struct *work)
{
	struct xevt_irq *xi = container_of(to_rcu_work(work), struct xevt_irq,
					   free_work);

	/* No upcall can still be running the IRQ: its number may be reused. */
	if (xi->dyn)
		xevt_desc_put(xi->irq);
	else if (xi->own_desc)
		irq_free_desc(xi->irq);
	/* Nor counting an event in its xenbus device (xevt_bind_port()). */
	if (xi->kind == XEVT_PORT && xi->u.dev)
		put_device(&xi->u.dev->dev);
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

	/* Only a late EOI binding is ever queued for a delayed EOI. */
	if (xi->lateeoi)
		xevt_eoi_forget(xi);
	list_del(&xi->node);
	if (xi->dyn) {
		xevt_set_own_data(xi, NULL);
	} else {
		if (xi->own_desc)
			irq_set_chip_data(xi->irq, NULL);
		xa_erase(&xevt_irqs, xi->irq);
	}

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

void xevt_uncount(struct xevt_irq *xi)
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
 * resume with interrupts off.  evtchn_op_setup() does not sleep.
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
	struct xevt_irq *xi = xevt_from_data(d);

	if (xi)
		xevt_event_done(xi);
}

void xevt_irq_mask_ack(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_irq(d->irq);

	if (!xi)
		return;
	xevt_mask(xi, XEVT_MASK_IRQCORE);
	xevt_event_done(xi);
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
static void xevt_virq_follow_locked(struct xevt_irq *xi, unsigned int cpu)
{
	unsigned int virq = xi->u.virq.virq;
	struct xevt_pcpu *from, *to;

	lockdep_assert_held(&xi->mask_lock);
	if (!xi->port || xi->u.virq.home == cpu)
		return;
	from = per_cpu_ptr(&xevt_pcpu, xi->u.virq.home);
	to = per_cpu_ptr(&xevt_pcpu, cpu);
	if (rcu_access_pointer(from->virq[virq]) == xi)
		RCU_INIT_POINTER(from->virq[virq], NULL);
	rcu_assign_pointer(to->virq[virq], xi);
	xi->u.virq.home = cpu;
}

void xevt_virq_follow(struct xevt_irq *xi, unsigned int cpu)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	xevt_virq_follow_locked(xi, cpu);
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);
}

/*
 * Ask Xen to deliver @xi's port to @cpu.  The whole move runs under the
 * mask lock, which xevt_detach() takes to take the port away: a move that
 * races an unbind (a write to /proc/irq/N/smp_affinity after free_irq()
 * can) either completes before the port is detached, and the detach then
 * undoes its routing and load count, or finds no port.  It never moves a
 * number that Xen may have handed to another binding since.  The port is
 * masked meanwhile so that no event lands on a CPU the backend does not
 * expect.
 */
int xevt_move(struct xevt_irq *xi, unsigned int cpu)
{
	struct evtchn_bind_vcpu op = { .vcpu = xen_vcpu_nr(cpu) };
	unsigned long flags;
	int err = 0;

	raw_spin_lock_irqsave(&xi->mask_lock, flags);
	op.port = xi->port;
	if (!op.port || cpu == xi->cpu)
		goto out;
	if (!xen_support_evtchn_rebind()) {
		err = -EOPNOTSUPP;
		goto out;
	}
	if (!xi->mask_why)
		evtchn_ops->mask(op.port);
	err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &op);
	if (!err) {
		xevt_route(xi, cpu);
		if (xi->kind == XEVT_VIRQ && !xi->u.virq.percpu)
			xevt_virq_follow_locked(xi, cpu);
	}
	if (!xi->mask_why)
		evtchn_ops->unmask(op.port);
out:
	raw_spin_unlock_irqrestore(&xi->mask_lock, flags);
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
const struct irq_chip xevt_chip_dyn = {
	.name			= "xen-dyn",
	.irq_ack		= xevt_irq_ack,
	XEVT_MOVABLE_CHIP_OPS,
};

/* IPIs and per-CPU VIRQs: bound to one CPU for good. */
const struct irq_chip xevt_chip_percpu = {
	.name			= "xen-percpu",
	.irq_ack		= xevt_irq_ack,
	.irq_mask		= xevt_irq_mask,
	.irq_unmask		= xevt_irq_unmask,
	.irq_disable		= xevt_irq_mask,
};

/* Pin a per-CPU IRQ's affinity to @cpu so /proc shows where it fires. */
void xevt_pin(struct xevt_irq *xi, unsigned int cpu)
{
	struct irq_data *d = irq_get_irq_data(xi->irq);

	irq_data_update_affinity(d, cpumask_of(cpu));
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
}
