// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: physical IRQs (PIRQs).
 *
 * In dom0 (and HVM guests with passed-through devices) hardware interrupts
 * reach Linux as PIRQs: Xen owns the interrupt controller and signals each
 * PIRQ through an event channel.  A PIRQ gets its IRQ and chip ("xen-pirq")
 * when it is mapped (GSI or MSI), but its port only when the IRQ is started
 * (request_irq()), and the port is closed again at shutdown.
 *
 * Startup and shutdown run under the IRQ descriptor's lock, so they cannot
 * take xevt_lock (which orders before it); they rely on the port table's
 * lock-free row publication instead.  Level-triggered PIRQs need an
 * explicit EOI to Xen (PHYSDEVOP_eoi) after each event; a PV guest learns
 * which ones from a bitmap page Xen keeps up to date.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/irqnr.h>
#include <linux/pci.h>

#include "events_core.h"

#ifdef CONFIG_X86
#include <asm/i8259.h>
#endif
#include <xen/interface/physdev.h>

/* PV: Xen sets bit N while PIRQ N needs an EOI (PHYSDEVOP_pirq_eoi_gmfn_v2). */
static unsigned long *xevt_pirq_eoi_map __read_mostly;

static struct xevt_irq *xevt_pirq_of(unsigned int irq)
{
	struct xevt_irq *xi = xevt_from_irq(irq);

	return xi && xi->kind == XEVT_PIRQ ? xi : NULL;
}

static bool xevt_pirq_needs_eoi(struct xevt_irq *xi)
{
	if (xevt_pirq_eoi_map && xi->u.pirq.pirq < PAGE_SIZE * BITS_PER_BYTE)
		return test_bit(xi->u.pirq.pirq, xevt_pirq_eoi_map);
	return xi->u.pirq.flags & XEVT_PIRQ_NEEDS_EOI;
}

/* Ask Xen whether @xi's PIRQ wants an EOI after each event. */
static void xevt_pirq_query(struct xevt_irq *xi)
{
	struct physdev_irq_status_query q = { .irq = xi->u.pirq.pirq };

	if (HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, &q))
		q.flags = 0;
	if (q.flags & XENIRQSTAT_needs_eoi)
		xi->u.pirq.flags |= XEVT_PIRQ_NEEDS_EOI;
	else
		xi->u.pirq.flags &= ~XEVT_PIRQ_NEEDS_EOI;
}

/* End the current event; Xen holds further ones back until then. */
static void xevt_pirq_eoi(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_pirq_of(d->irq);
	struct physdev_eoi eoi;
	int rc;

	if (!xi || !READ_ONCE(xi->port))
		return;
	xevt_event_done(xi);
	if (!xevt_pirq_needs_eoi(xi))
		return;
	eoi.irq = xi->u.pirq.pirq;
	rc = HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi);
	WARN_ONCE(rc, "EOI of PIRQ %u failed (%d)\n", eoi.irq, rc);
}

static void xevt_pirq_mask_ack(struct irq_data *d)
{
	xevt_irq_mask(d);
	xevt_pirq_eoi(d);
}

static unsigned int xevt_pirq_startup(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_pirq_of(d->irq);
	struct evtchn_bind_pirq op;
	int rc;

	if (!xi)
		return 0;

	if (!READ_ONCE(xi->port)) {
		op.pirq = xi->u.pirq.pirq;
		op.flags = xi->u.pirq.flags & XEVT_PIRQ_SHARED ?
			   BIND_PIRQ__WILL_SHARE : 0;
		rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq, &op);
		if (rc) {
			pr_warn("IRQ %u: Xen refused to bind PIRQ %u (%d)\n",
				xi->irq, op.pirq, rc);
			return 0;
		}
		xevt_pirq_query(xi);
		/* Xen delivers a new PIRQ port to vCPU 0. */
		rc = xevt_attach(xi, op.port, 0, GFP_ATOMIC);
		if (rc) {
			pr_err("IRQ %u: PIRQ %u port %u not usable (%d)\n",
			       xi->irq, op.pirq, op.port, rc);
			xevt_close(op.port);
			return 0;
		}
	}

	xevt_unmask(xi, XEVT_MASK_IRQCORE);
	/* An event may have come in before we had a port: end it. */
	xevt_pirq_eoi(d);
	return 0;
}

static void xevt_pirq_shutdown(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_pirq_of(d->irq);
	evtchn_port_t port;

	if (!xi)
		return;
	xevt_mask(xi, XEVT_MASK_IRQCORE);
	/* Unmap before closing: Xen may reuse the number at once. */
	port = xevt_detach(xi);
	if (port)
		xevt_close(port);
}

static const struct irq_chip xevt_chip_pirq = {
	.name			= "xen-pirq",
	.irq_startup		= xevt_pirq_startup,
	.irq_shutdown		= xevt_pirq_shutdown,
	.irq_enable		= xevt_irq_unmask,
	.irq_disable		= xevt_irq_mask,
	.irq_mask		= xevt_irq_mask,
	.irq_unmask		= xevt_irq_unmask,
	.irq_ack		= xevt_pirq_eoi,
	.irq_mask_ack		= xevt_pirq_mask_ack,
	.irq_eoi		= xevt_pirq_eoi,
	.irq_retrigger		= xevt_irq_retrigger,
	.irq_set_affinity	= xevt_irq_set_affinity,
};

/* The GSI binding of @gsi, xevt_lock held. */
static struct xevt_irq *xevt_pirq_by_gsi(unsigned int gsi)
{
	struct xevt_irq *xi;

	lockdep_assert_held(&xevt_lock);
	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind == XEVT_PIRQ && !(xi->u.pirq.flags & XEVT_PIRQ_MSI) &&
		    xi->u.pirq.gsi == gsi)
			return xi;
	}
	return NULL;
}

/*
 * The IRQ number of a GSI: the GSI itself where Linux knows GSIs (dom0,
 * HVM), any free number in a PV domU, which has no GSI space.
 */
static struct xevt_irq *xevt_pirq_new_gsi(unsigned int gsi)
{
	int irq;

	if (xen_pv_domain() && !xen_initial_domain()) {
		irq = irq_alloc_desc(NUMA_NO_NODE);
		return irq < 0 ? NULL : xevt_new(irq, true);
	}
	/* The arch owns the legacy descriptors. */
	if (gsi < nr_legacy_irqs())
		return xevt_new(gsi, false);
	irq = irq_alloc_desc_at(gsi, NUMA_NO_NODE);
	if (irq == -EEXIST)
		return xevt_new(gsi, false);
	return irq < 0 ? NULL : xevt_new(irq, true);
}

/**
 * xen_bind_pirq_gsi_to_irq() - give a GSI PIRQ a Linux IRQ
 * @gsi:       the GSI.
 * @pirq:      Xen's PIRQ number for it.
 * @shareable: level triggered and shareable (fasteoi flow) rather than
 *             edge triggered.
 * @name:      flow name shown in /proc/interrupts, e.g. "ioapic-level".
 *
 * The port is bound only when the IRQ is requested.
 *
 * Context: process context.
 * Return: the IRQ number (the existing one if @gsi is bound), or -errno.
 */
int xen_bind_pirq_gsi_to_irq(unsigned int gsi, unsigned int pirq,
			     int shareable, char *name)
{
	/*
	 * Xen sends no further event of a PIRQ before the EOI of the current
	 * one, whatever its trigger mode, so fasteoi fits level interrupts.
	 */
	irq_flow_handler_t flow = shareable ? handle_fasteoi_irq :
					      handle_edge_irq;
	struct physdev_irq op = { };
	struct xevt_irq *xi;
	int ret;

	mutex_lock(&xevt_lock);

	xi = xevt_pirq_by_gsi(gsi);
	if (xi) {
		ret = xi->irq;
		goto out;
	}

	ret = -ENOMEM;
	xi = xevt_pirq_new_gsi(gsi);
	if (!xi)
		goto out;

	/* dom0 only; a domU's pcifront has its backend do this. */
	op.irq = xi->irq;
	if (xen_initial_domain() &&
	    HYPERVISOR_physdev_op(PHYSDEVOP_alloc_irq_vector, &op)) {
		xevt_discard(xi);
		ret = -ENOSPC;
		goto out;
	}

	xi->kind = XEVT_PIRQ;
	xi->u.pirq.pirq = pirq;
	xi->u.pirq.gsi = gsi;
	xi->u.pirq.domid = DOMID_SELF;
	xi->remote = DOMID_SELF;
	xi->u.pirq.flags = shareable ? XEVT_PIRQ_SHARED : 0;
	xevt_pirq_query(xi);
	irq_set_chip_and_handler_name(xi->irq, &xevt_chip_pirq, flow, name);
	ret = xi->irq;
out:
	mutex_unlock(&xevt_lock);
	return ret;
}

#ifdef CONFIG_PCI_MSI
/**
 * xen_allocate_pirq_msi() - get a free PIRQ number for an MSI
 * @dev:     the PCI device (unused).
 * @msidesc: its MSI descriptor (unused).
 *
 * Context: process context.
 * Return: the PIRQ number, or -1.
 */
int xen_allocate_pirq_msi(struct pci_dev *dev, struct msi_desc *msidesc)
{
	struct physdev_get_free_pirq op = { .type = MAP_PIRQ_TYPE_MSI };
	int rc;

	rc = HYPERVISOR_physdev_op(PHYSDEVOP_get_free_pirq, &op);
	if (rc) {
		pr_warn_once("PHYSDEVOP_get_free_pirq failed (%d)\n", rc);
		return -1;
	}
	return op.pirq;
}

/**
 * xen_bind_pirq_msi_to_irq() - give mapped MSI PIRQs Linux IRQs
 * @dev:     the PCI device.
 * @msidesc: the first MSI descriptor.
 * @pirq:    the first PIRQ; vector i uses @pirq + i.
 * @nvec:    number of vectors (consecutive IRQs are allocated).
 * @name:    flow name shown in /proc/interrupts ("msi", "msi-x").
 * @domid:   domain owning the PIRQs (DOMID_SELF, or a guest's for pciback).
 *
 * Context: process context.
 * Return: the first IRQ number, or -errno.
 */
int xen_bind_pirq_msi_to_irq(struct pci_dev *dev, struct msi_desc *msidesc,
			     int pirq, int nvec, const char *name,
			     domid_t domid)
{
	struct xevt_irq *xi;
	int base, i, ret;

	if (nvec <= 0)
		return -EINVAL;

	mutex_lock(&xevt_lock);

	base = irq_alloc_descs(-1, 0, nvec, NUMA_NO_NODE);
	if (base < 0) {
		ret = base;
		goto out;
	}

	for (i = 0; i < nvec; i++) {
		xi = xevt_new(base + i, true);
		if (!xi) {
			/* xevt_new() freed base + i. */
			if (i + 1 < nvec)
				irq_free_descs(base + i + 1, nvec - i - 1);
			nvec = i;
			ret = -ENOMEM;
			goto undo;
		}
		xi->kind = XEVT_PIRQ;
		xi->u.pirq.pirq = pirq + i;
		xi->u.pirq.domid = domid;
		xi->remote = domid;
		xi->u.pirq.flags = XEVT_PIRQ_MSI;
		if (i)
			xi->u.pirq.flags |= XEVT_PIRQ_MSI_MEMBER;
		irq_set_chip_and_handler_name(base + i, &xevt_chip_pirq,
					      handle_edge_irq, name);
	}

	ret = irq_set_msi_desc(base, msidesc);
	if (ret)
		goto undo;
	ret = base;
	goto out;

undo:
	for (i = 0; i < nvec; i++)
		xevt_discard(xevt_from_irq(base + i));
out:
	mutex_unlock(&xevt_lock);
	return ret;
}
#endif

/**
 * xen_destroy_irq() - undo xen_bind_pirq_*_to_irq()
 * @irq: the IRQ (already freed with free_irq()).
 *
 * In dom0 the PIRQ is unmapped too, once per MSI group.
 *
 * Context: process context.
 * Return: 0, -ENOENT if @irq is not a PIRQ, or Xen's unmap error.
 */
int xen_destroy_irq(int irq)
{
	struct physdev_unmap_pirq op;
	struct xevt_irq *xi;
	evtchn_port_t port;
	int rc = 0;

	mutex_lock(&xevt_lock);

	xi = xevt_pirq_of(irq);
	if (!xi) {
		rc = -ENOENT;
		goto out;
	}

	if (xen_initial_domain() &&
	    !(xi->u.pirq.flags & XEVT_PIRQ_MSI_MEMBER)) {
		op.pirq = xi->u.pirq.pirq;
		op.domid = xi->u.pirq.domid;
		rc = HYPERVISOR_physdev_op(PHYSDEVOP_unmap_pirq, &op);
		if (rc == -ESRCH && op.domid != DOMID_SELF) {
			/* The guest died; Xen freed its PIRQs already. */
			pr_info("domain %u has released PIRQ %u already\n",
				op.domid, op.pirq);
			rc = 0;
		} else if (rc) {
			pr_warn("IRQ %d: unmapping PIRQ %u failed (%d)\n",
				irq, op.pirq, rc);
			goto out;
		}
	}

	port = xevt_detach(xi);
	if (port)
		xevt_close(port);
	xevt_discard(xi);
out:
	mutex_unlock(&xevt_lock);
	return rc;
}

#if !XEVT_EVENTS_API_612
/**
 * xen_irq_from_pirq() - the IRQ of a PIRQ
 * @pirq: Xen's PIRQ number.
 *
 * Gone from the API as of 6.12 (events_compat.h).
 *
 * Context: process context.
 * Return: the IRQ number, or -1.
 */
int xen_irq_from_pirq(unsigned int pirq)
{
	struct xevt_irq *xi;
	int irq = -1;

	mutex_lock(&xevt_lock);
	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind == XEVT_PIRQ && xi->u.pirq.pirq == pirq) {
			irq = xi->irq;
			break;
		}
	}
	mutex_unlock(&xevt_lock);
	return irq;
}
#endif

/**
 * xen_pirq_from_irq() - the PIRQ of an IRQ
 * @irq: the IRQ.
 *
 * Return: Xen's PIRQ number, or 0 if @irq is not a PIRQ.
 */
int xen_pirq_from_irq(unsigned int irq)
{
	struct xevt_irq *xi;
	int pirq = 0;

	rcu_read_lock();
	xi = xevt_pirq_of(irq);
	if (xi)
		pirq = xi->u.pirq.pirq;
	rcu_read_unlock();
	WARN_ONCE(!pirq, "IRQ %u is not a PIRQ\n", irq);
	return pirq;
}
EXPORT_SYMBOL_GPL(xen_pirq_from_irq);

/**
 * xen_irq_from_gsi() - the IRQ of a GSI PIRQ
 * @gsi: the GSI.
 *
 * Context: process context.
 * Return: the IRQ number, or -1.
 */
int xen_irq_from_gsi(unsigned int gsi)
{
	struct xevt_irq *xi;
	int irq;

	mutex_lock(&xevt_lock);
	xi = xevt_pirq_by_gsi(gsi);
	irq = xi ? xi->irq : -1;
	mutex_unlock(&xevt_lock);
	return irq;
}
EXPORT_SYMBOL_GPL(xen_irq_from_gsi);

/**
 * xen_test_irq_shared() - may this PIRQ be handed to a guest alone?
 * @irq: the IRQ.
 *
 * Return: 1 if Xen says the line is not shared with another domain, 0 if
 * it is (or Xen cannot tell), -ENOENT if @irq is not a PIRQ.
 */
int xen_test_irq_shared(int irq)
{
	struct physdev_irq_status_query q;
	struct xevt_irq *xi;

	rcu_read_lock();
	xi = xevt_pirq_of(irq);
	if (xi)
		q.irq = xi->u.pirq.pirq;
	rcu_read_unlock();
	if (WARN_ON(!xi))
		return -ENOENT;

	if (HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, &q))
		return 0;
	return !(q.flags & XENIRQSTAT_shared);
}
EXPORT_SYMBOL_GPL(xen_test_irq_shared);

/**
 * xevt_pirq_resume() - map GSI PIRQs again after resume
 *
 * MSIs belong to passed-through devices, which do not survive migration.
 *
 * Context: xen_irq_resume().
 */
void xevt_pirq_resume(void)
{
	struct physdev_map_pirq op;
	struct irq_data *d;
	struct xevt_irq *xi;
	int rc;

	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind != XEVT_PIRQ || (xi->u.pirq.flags & XEVT_PIRQ_MSI))
			continue;

		memset(&op, 0, sizeof(op));
		op.domid = DOMID_SELF;
		op.type = MAP_PIRQ_TYPE_GSI;
		op.index = xi->u.pirq.gsi;
		op.pirq = xi->u.pirq.pirq;
		rc = HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq, &op);
		if (rc) {
			pr_warn("resume: GSI %u (IRQ %u) not mapped again (%d)\n",
				xi->u.pirq.gsi, xi->irq, rc);
			continue;
		}
		d = irq_get_irq_data(xi->irq);
		if (d && irqd_is_started(d))
			xevt_pirq_startup(d);
	}
}

/**
 * xevt_pirq_init() - PIRQ set-up at boot
 *
 * A PV guest registers the page in which Xen flags PIRQs needing an EOI,
 * which spares a hypercall per event to find out.
 *
 * Context: boot.
 */
void __init xevt_pirq_init(void)
{
	struct physdev_pirq_eoi_gmfn op;
	unsigned long *map;

	if (!xen_pv_domain())
		return;
	map = (unsigned long *)get_zeroed_page(GFP_KERNEL);
	if (!map)
		return;
	op.gmfn = virt_to_gfn(map);
	if (HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v2, &op)) {
		free_page((unsigned long)map);
		return;
	}
	xevt_pirq_eoi_map = map;
}
