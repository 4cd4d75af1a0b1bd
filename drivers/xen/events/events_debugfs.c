// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: /sys/kernel/debug/xen/events, events-by-domain and
 * events-priority.
 *
 * events: one row per bound port, in port order:
 *
 *   port irq kind remote vcpu prio pending masked events spurious
 *   mask-reasons flags
 *
 * "remote" is the domain at the other end of the port: a domid, "self"
 * (VIRQ, IPI, our own PIRQs) or "?" (Xen could not say).  A port bound by
 * number is looked up with EVTCHNOP_status the first time it is shown.
 * "prio" is "-" when the ABI has no priorities.  "mask-reasons" lists why
 * the core keeps the port masked: i (irq core), b (brief, e.g. affinity
 * change), e (waiting for a late EOI), s (the ABI is being switched), "-"
 * for none.  "flags" has a for
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
	char why[6], flags[4], dom[8];
	int n;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# %s ABI, %u of %u ports usable\n",
			   xevt_abi_name(), evtchn_ops->nr_channels(),
			   evtchn_ops->max_channels());
		seq_puts(m, "#   port      irq kind        remote vcpu prio pending masked       events     spurious why flags\n");
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
	if (xi->mask_why & XEVT_MASK_SWITCH)
		why[n++] = 's';
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

	seq_printf(m, "%8u %8u %-11s %6s %4u ", port, xi->irq,
		   xevt_kind_name(xi),
		   xevt_dom_name(xevt_remote(xi), dom, sizeof(dom)),
		   xen_vcpu_nr(READ_ONCE(xi->cpu)));
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

/*
 * events-by-domain: the bound ports summed by remote domain, from a
 * snapshot taken at open (xevt_usage_collect(), one pass under xevt_lock),
 * so that every read of one open file agrees:
 *
 *   # headroom: abi=<name> ports_in_use=<N> max=<M> irqs=<I> interval_ms=<T>
 *   #  domid ports events spurious eoi-delays masked recent rate/s backoff
 *   delay-ms
 *
 * (the column header is one line; Documentation/xen/events.rst has an
 * example).
 * N is the count of bound ports that drives the headroom warning, M the
 * ports the ABI can hand out (max_channels() - 1: port 0 is never
 * handed out), I the IRQs held by bindings, with or without a port, T
 * the rate interval: the time since the previous open of this file (or
 * boot), which this open ends.  One row per remote domain, "self" first,
 * then domids in ascending order and "?" (not known) last: how many
 * ports, the sums of their events, their spurious late EOIs and their
 * late EOIs delayed by the spurious back-off, how many of them are
 * masked now, the events they handled in the interval and that per
 * second, how many of them are in the spurious back-off now and the
 * longest delay among those (the delay of each one's last EOI, in ms).
 * *pos is the row's key + 1.
 */
#define XEVT_BYDOM_END	BIT(17)		/* past every xevt_dom_key() */

static void *xevt_bydom_find(struct xevt_usage *u, loff_t *pos)
{
	unsigned long key = *pos - 1;
	struct xevt_dom_usage *du;

	du = xa_find(&u->doms, &key, XEVT_BYDOM_END, XA_PRESENT);
	*pos = du ? key + 1 : XEVT_BYDOM_END;
	return du;
}

static void *xevt_bydom_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos >= XEVT_BYDOM_END)
		return NULL;
	return xevt_bydom_find(m->private, pos);
}

static void *xevt_bydom_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return xevt_bydom_find(m->private, pos);
}

static void xevt_bydom_stop(struct seq_file *m, void *v)
{
}

static int xevt_bydom_show(struct seq_file *m, void *v)
{
	struct xevt_usage *u = m->private;
	struct xevt_dom_usage *du = v;
	char dom[8];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# headroom: abi=%s ports_in_use=%u max=%u irqs=%u interval_ms=%u\n",
			   xevt_abi_name(), u->ports_in_use, u->usable,
			   u->irqs, jiffies_to_msecs(u->interval));
		seq_puts(m, "#  domid    ports       events     spurious   eoi-delays   masked       recent   rate/s  backoff delay-ms\n");
		return 0;
	}
	seq_printf(m, "%7s %8u %12lu %12lu %12lu %8u %12lu %8lu %8u %8u\n",
		   xevt_dom_name(du->dom, dom, sizeof(dom)), du->ports,
		   du->events, du->spurious, du->eoi_delayed, du->masked,
		   du->recent,
		   xevt_usage_rate(u, du),
		   du->backoff, jiffies_to_msecs(du->backoff_max));
	return 0;
}

static const struct seq_operations xevt_bydom_sops = {
	.start	= xevt_bydom_start,
	.next	= xevt_bydom_next,
	.stop	= xevt_bydom_stop,
	.show	= xevt_bydom_show,
};

static int xevt_bydom_open(struct inode *inode, struct file *file)
{
	struct xevt_usage *u;
	int err;

	u = __seq_open_private(file, &xevt_bydom_sops, sizeof(*u));
	if (!u)
		return -ENOMEM;
	err = xevt_usage_sample(u);
	if (err)
		seq_release_private(inode, file);
	return err;
}

static int xevt_bydom_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	xevt_usage_release(m->private);
	return seq_release_private(inode, file);
}

static const struct file_operations xevt_bydom_fops = {
	.owner		= THIS_MODULE,
	.open		= xevt_bydom_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= xevt_bydom_release,
};

/*
 * events-priority: "DOMID PRIORITY" or "DOMID default" written sets the
 * priority of a remote domain's ports (events_prio.c); read, one line per
 * domain given one.
 */
static void xevt_prio_show_one(domid_t dom, int prio, void *arg)
{
	seq_printf(arg, "%u %d\n", dom, prio);
}

static int xevt_prio_show(struct seq_file *m, void *v)
{
	xevt_dom_priorities(xevt_prio_show_one, m);
	return 0;
}

static int xevt_prio_open(struct inode *inode, struct file *file)
{
	return single_open(file, xevt_prio_show, NULL);
}

static ssize_t xevt_prio_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[32], what[12];
	unsigned int dom;
	int prio, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%u %11s", &dom, what) != 2)
		return -EINVAL;
	if (!strcmp(what, "default"))
		prio = -1;
	else if (kstrtoint(what, 10, &prio) || prio < 0)
		return -EINVAL;
	ret = xevt_dom_set_priority(dom, prio);
	return ret < 0 ? ret : len;
}

static const struct file_operations xevt_prio_fops = {
	.owner		= THIS_MODULE,
	.open		= xevt_prio_open,
	.read		= seq_read,
	.write		= xevt_prio_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int __init xevt_debugfs_init(void)
{
	struct dentry *dir;

	if (!xen_domain() || !evtchn_ops)
		return 0;
	dir = xen_init_debugfs();
	debugfs_create_file("events", 0444, dir, NULL, &xevt_dbg_fops);
	debugfs_create_file("events-by-domain", 0444, dir, NULL,
			    &xevt_bydom_fops);
	debugfs_create_file("events-priority", 0644, dir, NULL,
			    &xevt_prio_fops);
	return 0;
}
late_initcall(xevt_debugfs_init);
