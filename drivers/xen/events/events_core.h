/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: declarations private to the ABI-independent core
 * (events_base.c, events_bind.c, events_upcall.c, events_setup.c,
 * events_lateeoi.c, events_pirq.c, events_usage.c, events_debugfs.c).
 * Backends never include this file; their contract is events_internal.h,
 * and the core calls them through events_ops.h.
 *
 * Design, locking and parameters: Documentation/xen/events.rst.
 */
#ifndef __XEN_EVENTS_CORE_H
#define __XEN_EVENTS_CORE_H

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "events_abi.h"
#include "events_compat.h"
#include "events_ops.h"

/*
 * Lock order, outermost first:
 *
 *   xevt_lock                 (mutex) creating and destroying bindings,
 *                             xevt_list, refcounts, the per-CPU VIRQ/IPI
 *                             tables and every write to the port table
 *                             except the one PIRQ startup does
 *     irq_desc->lock          (raw, irq core) held around chip callbacks:
 *                             startup/shutdown of PIRQs, affinity changes
 *       xevt_irq.mask_lock    (raw) mask reasons and the hardware mask bit
 *
 *   xevt_eoiq.lock            (raw) one per CPU: the delayed EOI queue.  A
 *                             leaf: nothing is taken while it is held,
 *                             and it is never taken under mask_lock.
 *
 *   xevt_desc_lock            (spinlock) the descriptors kept for reuse
 *                             (events_base.c).  A leaf: taken under
 *                             xevt_lock by a bind or alone by the RCU
 *                             work of an unbind, never under a
 *                             descriptor's lock, and irq_reinit_desc()
 *                             and irq_free_desc() run without it.
 *
 * The upcall path takes none of these for lookups: it finds a channel in
 * the port table under rcu_read_lock().  Bindings are freed only after a
 * grace period (queue_rcu_work()), so a channel found there stays valid
 * until the upcall returns even if it is being closed on another CPU.
 */
extern struct mutex xevt_lock;
extern struct list_head xevt_list;

/* What a Linux IRQ of ours is bound to. */
enum xevt_kind {
	XEVT_NONE,	/* being set up */
	XEVT_PORT,	/* a port the caller got from Xen (or via xenbus) */
	XEVT_VIRQ,	/* a virtual IRQ of Xen (per-CPU or global) */
	XEVT_IPI,	/* an inter-processor interrupt */
	XEVT_PIRQ,	/* a physical IRQ (dom0 / passthrough) */
};

/*
 * Why the port is masked.  The hardware mask bit is set while any reason
 * is present and cleared only when the last one goes away, so for example
 * an affinity change cannot unmask a port whose late EOI is outstanding.
 */
#define XEVT_MASK_IRQCORE	BIT(0)	/* irq core: disabled, masked, shut down */
#define XEVT_MASK_BRIEF		BIT(1)	/* a short critical section of ours */
#define XEVT_MASK_EOI		BIT(2)	/* lateeoi: waiting for xen_irq_lateeoi() */
#define XEVT_MASK_SWITCH	BIT(3)	/* the ABI is being switched */

/* Bits of xevt_irq.state. */
#define XEVT_ACTIVE		0	/* an event is being handled */

/*
 * xevt_irq.remote of a port binding whose other end was not looked up yet
 * (bind_evtchn_to_irq*() is given a bare port number).
 */
#define XEVT_REMOTE_UNKNOWN	DOMID_INVALID

/* PIRQ flags. */
#define XEVT_PIRQ_NEEDS_EOI	BIT(0)	/* PHYSDEVOP_eoi after each event */
#define XEVT_PIRQ_SHARED	BIT(1)	/* level triggered, may be shared */
#define XEVT_PIRQ_MSI_MEMBER	BIT(2)	/* 2nd..nth vector of an MSI group */
#define XEVT_PIRQ_MSI		BIT(3)	/* MSI or MSI-X, not a GSI */

/**
 * struct xevt_irq - one Linux IRQ bound to (at most) one event channel
 * @irq:        The Linux IRQ number.
 * @port:       The bound port, 0 if none (PIRQ not started, after resume).
 *              Written under @mask_lock; read with READ_ONCE() elsewhere.
 * @kind:       enum xevt_kind.
 * @mask_why:   XEVT_MASK_* reasons, under @mask_lock.
 * @lateeoi:    Bound with a *_lateeoi() function: the driver ends events.
 * @own_desc:   We allocated the IRQ descriptor and free it at the end.
 * @dyn:        A port, VIRQ or IPI (xevt_new_dyn()): the binding is its
 *              descriptor's chip data, not in the PIRQs' XArray, and the
 *              descriptor is kept for reuse after the unbind.
 * @counted:    @cpu's channel count includes this port.
 * @prio:       Last priority set with xen_set_irq_priority().
 * @cpu:        CPU the port is delivered to.
 * @refs:       User references (evtchn_get()), -1 when not refcounted.
 * @is_static:  A static port (evtchn_make_refcounted() on 6.12): the last
 *              unbind leaves it open, the toolstack owns it.
 * @state:      XEVT_ACTIVE: one CPU at a time handles this IRQ's events.
 * @mask_lock:  Protects @mask_why and the port's mask bit.
 * @spurious:   Consecutive spurious late EOIs (back-off exponent).
 * @eoi_cpu:    CPU whose delayed EOI queue holds or will hold @eoi_node.
 * @eoi_epoch:  Upcall epoch of @eoi_cpu when the EOI was deferred.
 * @eoi_due:    Jiffies at which a delayed EOI is due, 0 if none.
 * @eoi_node:   Entry in a delayed EOI queue, empty if not queued.
 * @nr_events:  Events handled (debugfs).
 * @nr_events_mark: @nr_events when events-by-domain last began a rate
 *              interval (xevt_usage_sample()), under xevt_lock.
 * @nr_spurious: Late EOIs flagged spurious (debugfs).
 * @nr_eoi_delayed: Late EOIs held back by the spurious back-off (debugfs).
 * @remote:     Domain at the other end: a domid, DOMID_SELF (VIRQ, IPI,
 *              our own PIRQs) or XEVT_REMOTE_UNKNOWN until xevt_remote()
 *              asked Xen.  Under xevt_lock.
 * @u:          Per-kind data.
 * @node:       Entry in xevt_list, under xevt_lock.
 * @free_work:  Frees this after an RCU grace period.
 */
struct xevt_irq {
	unsigned int irq;
	struct irq_desc *desc;
	evtchn_port_t port;
	u8 kind;
	u8 mask_why;
	bool lateeoi;
	bool own_desc;
	bool dyn;
	bool counted;
	bool is_static;
	u8 prio;
	u16 cpu;
	s16 refs;
	unsigned long state;
	raw_spinlock_t mask_lock;

	u8 spurious;
	u16 eoi_cpu;
	unsigned int eoi_epoch;
	u64 eoi_due;
	struct list_head eoi_node;

	unsigned long nr_events;
	unsigned long nr_events_mark;
	unsigned long nr_spurious;
	unsigned long nr_eoi_delayed;

	domid_t remote;

	union {
		/* XEVT_PORT: the xenbus device it serves, or NULL. */
		struct xenbus_device *dev;
		struct {
			u16 virq;
			u16 home;	/* CPU whose VIRQ table holds it */
			bool percpu;
		} virq;
		struct {
			u16 vector;	/* enum ipi_vector */
			u16 home;
		} ipi;
		struct {
			unsigned int pirq;
			unsigned int gsi;
			u16 domid;
			u8 flags;	/* XEVT_PIRQ_* */
		} pirq;
	} u;

	struct list_head node;
	struct rcu_work free_work;
};

/**
 * struct xevt_pcpu - per-CPU bookkeeping of the core
 * @virq:     Bindings of VIRQs on this CPU, by VIRQ number (RCU).
 * @ipi:      Bindings of IPIs, by vector (xevt_lock).
 * @ipi_port: Lock-free copy of each IPI's port, for senders.
 * @load:     Ports delivered here (the least loaded CPU is picked).
 */
struct xevt_pcpu {
	struct xevt_irq __rcu *virq[NR_VIRQS];
	struct xevt_irq *ipi[XEN_NR_IPIS];
	evtchn_port_t ipi_port[XEN_NR_IPIS];
	atomic_t load;
};

DECLARE_PER_CPU(struct xevt_pcpu, xevt_pcpu);

/* events_base.c: the port table, bindings, masking, irq_chips */
int xevt_table_init(void);
void xevt_table_clear(void);
bool xevt_port_ok(evtchn_port_t port);
evtchn_port_t xevt_port_of(unsigned int irq);
struct xevt_irq *xevt_from_irq(unsigned int irq);

/**
 * xevt_from_data() - the binding of an IRQ, from the irq_chip callbacks
 * @d: the IRQ's data; its chip is xen-dyn, xen-percpu or xen-dyn-lateeoi,
 *     whose descriptors are always our own.
 *
 * The binding is the chip data (xevt_new_dyn()): no lookup by IRQ number,
 * whose cost grows with the highest IRQ number in use.  NULL once the
 * binding is discarded.
 *
 * Context: the upcall, or the caller keeps the binding alive.
 */
static inline struct xevt_irq *xevt_from_data(struct irq_data *d)
{
	return irq_data_get_irq_chip_data(d);
}

struct xevt_irq *xevt_from_port(evtchn_port_t port);
struct xevt_irq *xevt_new(int irq, bool own_desc);
struct xevt_irq *xevt_new_dyn(const struct irq_chip *chip,
			      irq_flow_handler_t flow, const char *flow_name);
unsigned int xevt_desc_cached(void);
void xevt_desc_drain(void);
void xevt_discard(struct xevt_irq *xi);
int xevt_attach(struct xevt_irq *xi, evtchn_port_t port, unsigned int cpu,
		gfp_t gfp);
evtchn_port_t xevt_detach(struct xevt_irq *xi);
void xevt_close(evtchn_port_t port);
void xevt_mask(struct xevt_irq *xi, u8 why);
void xevt_unmask(struct xevt_irq *xi, u8 why);
void xevt_event_done(struct xevt_irq *xi);
void xevt_irq_mask(struct irq_data *d);
void xevt_irq_mask_ack(struct irq_data *d);
void xevt_irq_unmask(struct irq_data *d);
int xevt_irq_set_affinity(struct irq_data *d, const struct cpumask *dest,
			  bool force);
int xevt_irq_retrigger(struct irq_data *d);
void xevt_uncount(struct xevt_irq *xi);
void xevt_virq_follow(struct xevt_irq *xi, unsigned int cpu);
int xevt_move(struct xevt_irq *xi, unsigned int cpu);
void xevt_pin(struct xevt_irq *xi, unsigned int cpu);
extern const struct irq_chip xevt_chip_dyn;

/*
 * The callbacks of the chips whose ports can move between CPUs (xen-dyn
 * and xen-dyn-lateeoi, which differ in their ack only): mask_ack masks
 * and ends the event at once.
 */
#define XEVT_MOVABLE_CHIP_OPS					\
	.irq_mask_ack		= xevt_irq_mask_ack,		\
	.irq_mask		= xevt_irq_mask,		\
	.irq_unmask		= xevt_irq_unmask,		\
	.irq_disable		= xevt_irq_mask,		\
	.irq_retrigger		= xevt_irq_retrigger,		\
	.irq_set_affinity	= xevt_irq_set_affinity

extern const struct irq_chip xevt_chip_lateeoi;
extern const struct irq_chip xevt_chip_percpu;

/* events_bind.c */
const char *xevt_kind_name(const struct xevt_irq *xi);
int xevt_virq_port(unsigned int virq, unsigned int cpu, evtchn_port_t *port);
int xevt_ipi_port(unsigned int cpu, evtchn_port_t *port);

/* Tunables (events_upcall.c, events_lateeoi.c), in jiffies. */
extern unsigned int xevt_loop_timeout;
extern unsigned int xevt_eoi_delay;

/* Upcall epoch of each CPU: bumped when an upcall returns. */
DECLARE_PER_CPU(unsigned int, xevt_epoch);

/* events_lateeoi.c */
void xevt_eoi_defer(struct xevt_irq *xi);
void xevt_eoi_forget(struct xevt_irq *xi);
void xevt_eoi_init(void);
unsigned long xevt_backoff_now(const struct xevt_irq *xi);
unsigned int xevt_throttle_lines(void);
void xevt_throttle_flush(void);
void xevt_throttle_rearm(domid_t dom);

/* events_usage.c */

/**
 * struct xevt_dom_usage - the ports one remote domain holds
 * @dom:         The domain: a domid, DOMID_SELF or XEVT_REMOTE_UNKNOWN.
 * @ports:       Bound ports whose other end is @dom.
 * @masked:      How many of them are masked now.
 * @events:      Sum of their nr_events.
 * @spurious:    Sum of their nr_spurious.
 * @eoi_delayed: Sum of their nr_eoi_delayed.
 * @recent:      Events handled in the rate interval (struct xevt_usage),
 *               by the ports bound at its end.
 * @backoff:     How many of the ports are in the spurious back-off now.
 * @backoff_max: The longest back-off among them, in jiffies.
 */
struct xevt_dom_usage {
	domid_t dom;
	unsigned int ports;
	unsigned int masked;
	unsigned long events;
	unsigned long spurious;
	unsigned long eoi_delayed;
	unsigned long recent;
	unsigned int backoff;
	unsigned long backoff_max;
};

/**
 * struct xevt_usage - a snapshot of the port usage, by remote domain
 * @ports_in_use: Ports bound by the core (the counter of the warning).
 * @usable:       Ports the ABI can hand out (port 0 never is).
 * @irqs:         Linux IRQs held by bindings, with or without a port.
 * @nr_doms:      Entries in @doms.
 * @interval:     Jiffies since the rate interval began: the previous
 *                xevt_usage_sample(), or boot.
 * @doms:         xevt_dom_key() -> struct xevt_dom_usage, in print order.
 */
struct xevt_usage {
	unsigned int ports_in_use;
	unsigned int usable;
	unsigned int irqs;
	unsigned int nr_doms;
	unsigned long interval;
	struct xarray doms;
};

domid_t xevt_remote(struct xevt_irq *xi);
unsigned long xevt_dom_key(domid_t dom);
const char *xevt_dom_name(domid_t dom, char *buf, size_t len);
int xevt_usage_collect(struct xevt_usage *u);
int xevt_usage_sample(struct xevt_usage *u);
unsigned long xevt_usage_rate(const struct xevt_usage *u,
			      const struct xevt_dom_usage *du);
void xevt_usage_release(struct xevt_usage *u);
unsigned int xevt_ports_in_use(void);
unsigned int xevt_ports_usable(void);
void xevt_ports_add(int delta);
void xevt_ports_reset(void);

/*
 * events_prio.c.  The default policy by kind of binding (FIFO priorities,
 * 0 highest; everything not named here keeps XEN_IRQ_PRIORITY_DEFAULT).
 */
#define XEVT_PRIO_VCPU		XEN_IRQ_PRIORITY_MAX	/* timer, IPIs */
#define XEVT_PRIO_CONTROL	4			/* xenstore, console */

int xevt_prio_policy(const struct xevt_irq *xi);
void xevt_prio_bound(struct xevt_irq *xi);
int xevt_dom_set_priority(domid_t dom, int prio);
void xevt_dom_priorities(void (*fn)(domid_t dom, int prio, void *arg),
			 void *arg);

/* events_pirq.c */
void xevt_pirq_init(void);
void xevt_pirq_resume(void);

/*
 * Declared by arch/x86/xen/xen-ops.h, which only arch code may include;
 * repeated here so that our definitions are checked against a prototype.
 */
extern bool xen_fifo_events;
irqreturn_t xen_debug_interrupt(int irq, void *dev_id);

#endif /* __XEN_EVENTS_CORE_H */
