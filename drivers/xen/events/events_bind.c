// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the public API of <xen/events.h> for ports, VIRQs
 * and IPIs (PIRQs are in events_pirq.c).
 *
 * Owns: binding a port, a VIRQ or an IPI to a Linux IRQ and undoing it
 * (bind_*_to_irq*(), unbind_from_irqhandler()), refcounted user ports
 * (evtchn_get/put), rebinding after resume, and the small services on a
 * bound IRQ: notify, priority, IPI sending, pending bit and poll.
 *
 * Locks: every bind and unbind holds xevt_lock (events_core.h gives the
 * order); the services take none and reach the port through the binding.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/irq.h>
#include <linux/irqnr.h>
#include <linux/rcupdate.h>

#include <xen/interface/sched.h>
#include <xen/interface/vcpu.h>
#include <xen/xenbus.h>

#include "events_core.h"

/* ---- Binding ports ----------------------------------------------------- */

/*
 * Tear a binding down: drop a user reference, and when none is left forget
 * the port (after clearing every table that leads to it), close it unless
 * @close is false (a port its caller still owns, see xevt_request()), and
 * free.
 */
static void xevt_unbind(struct xevt_irq *xi, bool close)
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

	if (port && close && !xi->is_static)
		xevt_close(port);
	xevt_discard(xi);
}

static void xevt_unbind_irq(unsigned int irq, bool close)
{
	struct xevt_irq *xi;

	mutex_lock(&xevt_lock);
	xi = xevt_from_irq(irq);
	if (xi)
		xevt_unbind(xi, close);
	mutex_unlock(&xevt_lock);
}

/*
 * Bind an existing port; the IRQ it already has if it is bound.  A shared
 * bind (IRQF_SHARED, as the evtchn device of 6.12 does) of a refcounted
 * port takes a reference, which the matching unbind drops.
 */
static int xevt_bind_port(evtchn_port_t port, bool lateeoi,
			  struct xenbus_device *dev, bool shared)
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
		else if (shared && !WARN(xi->refs < 0 || xi->refs >= S16_MAX,
					 "port %u shared but not refcounted\n",
					 port))
			xi->refs++;
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
	/*
	 * The upcall counts events in the device without a lock, and one
	 * that found the binding just before an unbind may still do so
	 * after unbind_from_irqhandler() returned: the binding holds a
	 * reference to the device until it is freed, after a grace period
	 * (xevt_free_rcu()).
	 */
	xi->u.dev = dev;
	if (dev)
		get_device(&dev->dev);
	/* A bare port number: xevt_remote() asks Xen when it is needed. */
	xi->remote = dev ? dev->otherend_id : XEVT_REMOTE_UNKNOWN;

	/* Xen delivers a newly bound port to vCPU 0. */
	ret = xevt_attach(xi, port, 0, GFP_KERNEL);
	if (ret) {
		xevt_discard(xi);
		goto out;
	}
	if (dev)
		atomic_inc(&dev->event_channels);
	xevt_prio_bound(xi);
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
	ret = xevt_bind_port(op.local_port, lateeoi, dev, false);
	if (ret < 0)
		xevt_close(op.local_port);
	return ret;
}

/*
 * request_irq() on a freshly bound IRQ, unbinding it again on failure.
 * @own_port: the bind allocated the port (VIRQ, IPI, interdomain), so the
 * failure closes it as well.  A port bound by number stays open: it is the
 * caller's, as on every other failure of bind_evtchn_to_irq*(), and the
 * caller closes it (/dev/xen/evtchn does, with a BUG() if Xen refuses
 * because the port is already closed).
 */
static int xevt_request(int irq, irq_handler_t handler, unsigned long flags,
			const char *name, void *dev_id, bool own_port)
{
	int err;

	if (irq < 0)
		return irq;
	err = request_irq(irq, handler, flags, name, dev_id);
	if (err) {
		xevt_unbind_irq(irq, own_port);
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
	return xevt_bind_port(evtchn, false, NULL, false);
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
	return xevt_bind_port(evtchn, true, NULL, false);
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
 * Return: the IRQ number, or -errno: nothing stays bound, and @evtchn stays
 * open for the caller to close.
 */
int bind_evtchn_to_irqhandler(evtchn_port_t evtchn, irq_handler_t handler,
			      unsigned long irqflags, const char *devname,
			      void *dev_id)
{
	return xevt_request(xevt_bind_port(evtchn, false, NULL,
					   irqflags & IRQF_SHARED),
			    handler, irqflags, devname, dev_id, false);
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
 * Return: the IRQ number, or -errno: nothing stays bound, and @evtchn stays
 * open for the caller to close.
 */
int bind_evtchn_to_irqhandler_lateeoi(evtchn_port_t evtchn,
				      irq_handler_t handler,
				      unsigned long irqflags,
				      const char *devname, void *dev_id)
{
	return xevt_request(xevt_bind_port(evtchn, true, NULL,
					   irqflags & IRQF_SHARED),
			    handler, irqflags, devname, dev_id, false);
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
			    irqflags, devname, dev_id, true);
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

int xevt_virq_port(unsigned int virq, unsigned int cpu, evtchn_port_t *port)
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

/*
 * Finish a new VIRQ or IPI binding @xi: @err is Xen's answer to the bind
 * that gave @port.  On any failure the port is closed and @xi freed.
 */
static int xevt_attach_new(struct xevt_irq *xi, int err, evtchn_port_t port,
			   unsigned int cpu)
{
	if (!err) {
		err = xevt_attach(xi, port, cpu, GFP_KERNEL);
		if (err)
			xevt_close(port);
	}
	if (err)
		xevt_discard(xi);
	return err;
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
	evtchn_port_t port = 0;
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
	ret = xevt_attach_new(xi, ret, port, cpu);
	if (ret)
		goto out;
	if (percpu)
		xevt_pin(xi, cpu);
	xevt_prio_bound(xi);
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
			    handler, irqflags, devname, dev_id, true);
}
EXPORT_SYMBOL_GPL(bind_virq_to_irqhandler);

int xevt_ipi_port(unsigned int cpu, evtchn_port_t *port)
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
	evtchn_port_t port = 0;
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
	ret = xevt_attach_new(xi, ret, port, cpu);
	if (ret)
		goto out;
	xevt_pin(xi, cpu);
	xevt_prio_bound(xi);
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
	return xevt_request(irq, handler, irqflags, devname, dev_id, true);
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
	xevt_unbind_irq(irq, true);
}
EXPORT_SYMBOL_GPL(unbind_from_irqhandler);

static int xevt_make_refcounted(evtchn_port_t evtchn, bool is_static)
{
	struct xevt_irq *xi;
	int ret = -ENOENT;

	mutex_lock(&xevt_lock);
	xi = xevt_from_port(evtchn);
	if (xi) {
		/* A shared bind already counted itself (xevt_bind_port()). */
		if (xi->refs < 0)
			xi->refs = 1;
		xi->is_static = is_static;
		ret = 0;
	}
	mutex_unlock(&xevt_lock);
	return ret;
}

#if XEVT_EVENTS_API_612
/**
 * evtchn_make_refcounted() - let a port be shared with evtchn_get()
 * @evtchn:    a bound port; it gets one reference, owned by the binder.
 * @is_static: a static port: the last unbind does not close it.
 *
 * Making a port refcounted twice (a shared bind, then this) keeps its
 * count: each binder holds one reference.
 *
 * Context: process context.
 * Return: 0, or -ENOENT if @evtchn is not bound.
 */
int evtchn_make_refcounted(evtchn_port_t evtchn, bool is_static)
{
	return xevt_make_refcounted(evtchn, is_static);
}
#else
/**
 * evtchn_make_refcounted() - let a port be shared with evtchn_get()
 * @evtchn: a bound port; it gets one reference, owned by the binder.
 *
 * Context: process context.
 * Return: 0, or -ENOENT if @evtchn is not bound.
 */
int evtchn_make_refcounted(evtchn_port_t evtchn)
{
	return xevt_make_refcounted(evtchn, false);
}
#endif
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
		xevt_unbind(xi, true);
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
	/* A new port has Xen's default: give it back its own (xenstore). */
	if (!err && xi->prio != XEN_IRQ_PRIORITY_DEFAULT)
		evtchn_op_set_priority(evtchn, xi->prio);
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

#if !XEVT_EVENTS_API_612
/**
 * xen_set_irq_pending() - mark an IRQ's port pending (no notification)
 * @irq: the IRQ.
 *
 * Gone from the API as of 6.12 (events_compat.h).
 */
void xen_set_irq_pending(int irq)
{
	evtchn_port_t port = xevt_port_of(irq);

	if (port)
		evtchn_ops->set_pending(port);
}
#endif

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
