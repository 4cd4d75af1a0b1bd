// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: /sys/kernel/debug/xen/events.
 *
 * One row per bound port, in port order:
 *
 *   port irq kind vcpu prio pending masked events spurious mask-reasons flags
 *
 * "prio" is "-" when the ABI has no priorities.  "mask-reasons" lists why
 * the core keeps the port masked: i (irq core), b (brief, e.g. affinity
 * change), e (waiting for a late EOI), "-" for none.  "flags" has a for
 * an event being handled, l for the late EOI flow, q for a queued
 * delayed EOI, "-" for none.  The bindings cannot change while the file
 * is being read (xevt_lock is held between reads of one chunk).
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>

#include "events_core.h"

#if defined(CONFIG_X86) && defined(CONFIG_XEN_DEBUG_FS)
/* arch/x86/xen/debugfs.h: the "xen" directory shared with arch code. */
struct dentry *xen_init_debugfs(void);
#else
static struct dentry *xen_init_debugfs(void)
{
	struct dentry *dir = debugfs_lookup("xen", NULL);

	return dir ?: debugfs_create_dir("xen", NULL);
}
#endif

/* First bound port at or after *@pos, or NULL; *@pos is set to it. */
static struct xevt_irq *xevt_dbg_find(loff_t *pos)
{
	unsigned int max = evtchn_ops->max_channels();
	struct xevt_irq *xi;
	loff_t port;

	for (port = max_t(loff_t, *pos, 1); port < max; port++) {
		xi = xevt_from_port(port);
		if (xi) {
			*pos = port;
			return xi;
		}
	}
	*pos = max;
	return NULL;
}

static void *xevt_dbg_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&xevt_lock);
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return xevt_dbg_find(pos);
}

static void *xevt_dbg_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return xevt_dbg_find(pos);
}

static void xevt_dbg_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&xevt_lock);
}

static int xevt_dbg_show(struct seq_file *m, void *v)
{
	struct xevt_irq *xi = v;
	evtchn_port_t port;
	char why[4], flags[4];
	int n;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# %s ABI, %u of %u ports usable\n",
			   evtchn_ops->name, evtchn_ops->nr_channels(),
			   evtchn_ops->max_channels());
		seq_puts(m, "#   port      irq kind        vcpu prio pending masked       events     spurious why flags\n");
		return 0;
	}

	port = READ_ONCE(xi->port);
	if (!port)
		return 0;

	n = 0;
	if (xi->mask_why & XEVT_MASK_IRQCORE)
		why[n++] = 'i';
	if (xi->mask_why & XEVT_MASK_BRIEF)
		why[n++] = 'b';
	if (xi->mask_why & XEVT_MASK_EOI)
		why[n++] = 'e';
	if (!n)
		why[n++] = '-';
	why[n] = '\0';

	n = 0;
	if (test_bit(XEVT_ACTIVE, &xi->state))
		flags[n++] = 'a';
	if (xi->lateeoi)
		flags[n++] = 'l';
	if (!list_empty_careful(&xi->eoi_node))
		flags[n++] = 'q';
	if (!n)
		flags[n++] = '-';
	flags[n] = '\0';

	seq_printf(m, "%8u %8u %-11s %4u ", port, xi->irq,
		   xevt_kind_name(xi), xen_vcpu_nr(READ_ONCE(xi->cpu)));
	if (evtchn_ops->set_priority)
		seq_printf(m, "%4u", READ_ONCE(xi->prio));
	else
		seq_puts(m, "   -");
	seq_printf(m, " %7d %6d %12lu %12lu %-3s %s\n",
		   evtchn_ops->is_pending(port), evtchn_ops->is_masked(port),
		   READ_ONCE(xi->nr_events), READ_ONCE(xi->nr_spurious),
		   why, flags);
	return 0;
}

static const struct seq_operations xevt_dbg_sops = {
	.start	= xevt_dbg_start,
	.next	= xevt_dbg_next,
	.stop	= xevt_dbg_stop,
	.show	= xevt_dbg_show,
};
DEFINE_SEQ_ATTRIBUTE(xevt_dbg);

static int __init xevt_debugfs_init(void)
{
	struct dentry *dir;

	if (!xen_domain() || !evtchn_ops)
		return 0;
	dir = xen_init_debugfs();
	debugfs_create_file("events", 0444, dir, NULL, &xevt_dbg_fops);
	return 0;
}
late_initcall(xevt_debugfs_init);
