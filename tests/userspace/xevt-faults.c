// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-faults: binding and unbinding through /dev/xen/evtchn while one
 * allocation of the call fails, for each allocation the call makes in
 * turn.  The kernel's fault injection does it: failslab and
 * fail_page_alloc, driven only by /proc/thread-self/fail-nth, which fails
 * the n-th allocation this thread makes and nothing else (their
 * probability stays 0, so no other allocation of the boot fails).  The
 * classic sweep: n = 1, 2, ... until the call makes fewer than n
 * allocations and succeeds.
 *
 * A call that saw an allocation fail must return -ENOMEM (any other
 * value is a bug, named in the verdict) or succeed with a binding that
 * works.  After every call and at the end nothing is left behind: the
 * ports Xen has open for dom0 (EVTCHNOP_status through privcmd), the ports
 * the kernel has bound (/sys/kernel/debug/xen/events), the IRQ
 * descriptors (/sys/kernel/irq) and the IRQ lines of /proc/interrupts
 * are what they were before.  The binding made after a sweep delivers
 * exactly the events sent to it.  After the sweeps kmemleak must find no
 * unreferenced object that this program allocated in the kernel.
 *
 * The kernel's reports of the failed allocations are expected
 * (xv_allow_alloc_failure_reports()); any other splat fails the test.
 * Each injected call is bracketed by "xevt: expected splat" lines so that
 * the scan of the whole log (initramfs/tests/splat.sh) leaves those
 * reports to this program's own watch.
 *
 * Needs the debug kernel (configs/debug.config: FAILSLAB,
 * FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS, DEBUG_KMEMLEAK) booted with
 * kmemleak=on; without them the tests fail and say what is missing.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xevt.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define TAG		"xevt-faults"	/* also the program's comm */
#define MAX_NTH		400		/* more allocations than a bind makes */
#define DBG_EVENTS	"/sys/kernel/debug/xen/events"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define PORTS_PER_ROW	1024		/* a FIFO event array page; 2 table rows */

/* Xen's public interface (xen/include/public/event_channel.h, xen.h). */
#define HYPERVISOR_event_channel_op	32
#define EVTCHNOP_status			5
#define EVTCHNSTAT_closed		0
#define EVTCHNSTAT_unbound		1
#define DOMID_SELF			0x7ff0u
#define VIRQ_DOM_EXC			3	/* global, free in our dom0 */

struct evtchn_status {
	uint16_t dom;
	uint32_t port;
	uint32_t status;
	uint32_t vcpu;
	union {
		struct {
			uint16_t dom;
		} unbound;
		struct {
			uint16_t dom;
			uint32_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u;
};

/* include/uapi/xen/privcmd.h (that header needs kernel-internal ones). */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};

#define IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

static int privcmd_fd = -1;
static int nth_fd = -1;		/* /proc/thread-self/fail-nth */
static int kmsg_fd = -1;	/* where the injection sites are read */
static const char *cur_test = "";

/* ---- what is bound ----------------------------------------------------- */

static long evtchn_op(unsigned int cmd, void *arg)
{
	struct privcmd_hypercall h = {
		.op = HYPERVISOR_event_channel_op,
		.arg = { cmd, (uint64_t)(uintptr_t)arg },
	};
	long rc = ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &h);

	return rc < 0 ? -errno : rc;
}

/* Xen's status of one of our ports: EVTCHNSTAT_*, or -errno. */
static int port_status(unsigned int port, struct evtchn_status *st)
{
	long rc;

	memset(st, 0, sizeof(*st));
	st->dom = DOMID_SELF;
	st->port = port;
	rc = evtchn_op(EVTCHNOP_status, st);
	return rc ? (int)rc : (int)st->status;
}

struct counts {
	int xen_ports;		/* dom0's ports Xen has open */
	int kernel_ports;	/* rows of /sys/kernel/debug/xen/events */
	int irq_descs;		/* entries of /sys/kernel/irq */
	int proc_irqs;		/* IRQ lines of /proc/interrupts */
};

/* Ports are valid up to the highest Xen allocated; past it -EINVAL. */
static int count_xen_ports(void)
{
	struct evtchn_status st;
	int n = 0, rc;

	for (unsigned int p = 1; p < XV_MAX_PORTS; p++) {
		rc = port_status(p, &st);
		if (rc == -EINVAL)
			break;
		if (rc < 0)
			return rc;
		if (rc != EVTCHNSTAT_closed)
			n++;
	}
	return n;
}

static int count_lines(const char *path, int numbered)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int n = 0, irq;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (numbered ? sscanf(line, " %d:", &irq) == 1 : line[0] != '#')
			n++;
		/* the rest of a line longer than the buffer */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	return n;
}

static int count_irq_descs(void)
{
	DIR *d = opendir("/sys/kernel/irq");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]))
			n++;
	closedir(d);
	return n;
}

static int read_counts(struct counts *c, char *why, size_t len)
{
	c->xen_ports = count_xen_ports();
	if (c->xen_ports < 0)
		return xv_why(why, len, "EVTCHNOP_status: %s", strerror(-c->xen_ports));
	c->kernel_ports = count_lines(DBG_EVENTS, 0);
	if (c->kernel_ports < 0)
		return xv_why(why, len, "%s: %s", DBG_EVENTS, strerror(-c->kernel_ports));
	c->irq_descs = count_irq_descs();
	if (c->irq_descs < 0)
		return xv_why(why, len, "/sys/kernel/irq: %s", strerror(-c->irq_descs));
	c->proc_irqs = count_lines("/proc/interrupts", 1);
	if (c->proc_irqs < 0)
		return xv_why(why, len, "/proc/interrupts: %s", strerror(-c->proc_irqs));
	return 0;
}

/*
 * The counts before a test: the same in two reads 200 ms apart (IRQ
 * descriptors of an earlier test may still be on their way out).
 */
static int settled_counts(struct counts *c, char *why, size_t len)
{
	uint64_t end = xv_now_ns() + 5000000000ull;
	struct counts prev;

	if (read_counts(&prev, why, len))
		return -1;
	for (;;) {
		xv_sleep_us(200000);
		if (read_counts(c, why, len))
			return -1;
		if (!memcmp(c, &prev, sizeof(prev)) || xv_now_ns() >= end)
			return 0;
		prev = *c;
	}
}

/*
 * The counts are @want again within @ms (IRQ descriptors are freed after
 * an RCU grace period, by a worker).
 */
static int counts_back(const struct counts *want, unsigned int ms,
		       const char *when, char *why, size_t len)
{
	uint64_t end = xv_now_ns() + ms * 1000000ull;
	struct counts c;

	for (;;) {
		if (read_counts(&c, why, len))
			return -1;
		if (!memcmp(&c, want, sizeof(c)))
			return 0;
		if (xv_now_ns() >= end)
			break;
		xv_sleep_us(20000);
	}
	return xv_why(why, len,
		      "%s: left behind: Xen ports %d (want %d), kernel ports %d (want %d), IRQ descriptors %d (want %d), /proc/interrupts lines %d (want %d)",
		      when, c.xen_ports, want->xen_ports, c.kernel_ports,
		      want->kernel_ports, c.irq_descs, want->irq_descs,
		      c.proc_irqs, want->proc_irqs);
}

/* ---- fault injection ---------------------------------------------------- */

static int read_text_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	return (int)n;
}

static int fi_write(const char *dir, const char *file, const char *val)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * failslab only on caches marked for it (cache-filter) when the boot
 * marked every cache but kmemleak's own (slub_debug=FZPUA;FZPU,
 * kmemleak_object: "A" is the mark, and 6.1 cannot set it at run time):
 * kmemleak absorbs a failure of its own metadata from a reserve pool, so
 * failing those would only double the sweep without reaching the code
 * under test.  Otherwise every cache.
 */
static int fi_cache_filter(char *why, size_t len)
{
	char kmalloc[8] = "", leak[8] = "";
	const char *filter;
	int rc;

	if (read_text_file("/sys/kernel/slab/kmalloc-64/failslab", kmalloc,
			   sizeof(kmalloc)) < 0)
		kmalloc[0] = 0;
	if (read_text_file("/sys/kernel/slab/kmemleak_object/failslab", leak,
			   sizeof(leak)) < 0)
		leak[0] = 0;
	filter = kmalloc[0] == '1' && leak[0] != '1' ? "Y" : "N";
	rc = fi_write("failslab", "cache-filter", filter);
	if (rc)
		return xv_why(why, len, "/sys/kernel/debug/failslab/cache-filter: %s",
			      strerror(-rc));
	if (*filter == 'Y')
		xv_report("failslab on the caches slub_debug marked (kmalloc-64: %c), not on kmemleak_object (%c)",
			  kmalloc[0], leak[0] ? leak[0] : '-');
	else
		xv_report("failslab on every cache, kmemleak's too (boot without slub_debug=FZPUA;FZPU,kmemleak_object)");
	return 0;
}

/*
 * failslab and fail_page_alloc count every allocation that may sleep
 * (ignore-gfp-wait=N), of any order (min-order=0), but not user pages
 * (ignore-gfp-highmem stays Y); probability 0 keeps them off except
 * through fail-nth.  verbose=2: each injected failure is logged with its
 * stack, at no rate limit, so that its site can be named.
 */
static int fi_setup(char *why, size_t len)
{
	static const char *const set[][3] = {
		{ "failslab", "probability", "0" },
		{ "failslab", "ignore-gfp-wait", "N" },
		{ "failslab", "verbose", "2" },
		{ "failslab", "verbose_ratelimit_interval_ms", "0" },
		{ "fail_page_alloc", "probability", "0" },
		{ "fail_page_alloc", "ignore-gfp-wait", "N" },
		{ "fail_page_alloc", "min-order", "0" },
		{ "fail_page_alloc", "verbose", "2" },
		{ "fail_page_alloc", "verbose_ratelimit_interval_ms", "0" },
	};
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(set); i++) {
		rc = fi_write(set[i][0], set[i][1], set[i][2]);
		if (rc)
			return xv_why(why, len,
				      "/sys/kernel/debug/%s/%s: %s (needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)",
				      set[i][0], set[i][1], strerror(-rc));
	}
	if (fi_cache_filter(why, len))
		return -1;
	if (nth_fd < 0)
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		return xv_why(why, len, "/proc/thread-self/fail-nth: %s",
			      strerror(errno));
	if (privcmd_fd < 0)
		privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (privcmd_fd < 0)
		return xv_why(why, len, "/dev/xen/privcmd: %s", strerror(errno));
	if (kmsg_fd < 0) {
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kmsg_fd >= 0)
			lseek(kmsg_fd, 0, SEEK_END);
	}
	xv_allow_alloc_failure_reports();
	return 0;
}

/* Allocator frames: the site of a failure is the first frame after them. */
static const char *const alloc_frames[] = {
	"dump_stack", "should_fail", "__should_fail", "should_failslab",
	"fail_dump", "slab_pre_alloc_hook", "slab_alloc", "__slab_alloc",
	"kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc",
	"kzalloc", "kvmalloc", "__kvmalloc", "kmemdup", "kstrdup",
	"kvasprintf", "kasprintf", "alloc_pages", "__alloc_pages",
	"prepare_alloc_pages", "get_zeroed_page", "__get_free_pages",
	"should_fail_alloc_page", "pcpu_alloc", "__alloc_percpu",
	"mem_pool_alloc", "__create_object", "create_object",
	"kmemleak_alloc", "xas_alloc", "xas_nomem", "radix_tree_node_alloc",
	"alloc_pages_node", "__get_vm_area", "__vmalloc",
};

static int alloc_frame(const char *f, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(alloc_frames); i++)
		if (strlen(alloc_frames[i]) <= n &&
		    !strncmp(f, alloc_frames[i], strlen(alloc_frames[i])))
			return 1;
	return 0;
}

/*
 * The site of the failure just injected, from its stack in the kernel
 * log: the first two frames that are not the allocator's ("a<b": a
 * called by b).  "?" when no stack was logged.
 */
static void fault_site(char *out, size_t len)
{
	char rec[1024];
	int state = 0, names = 0;
	size_t used = 0;

	snprintf(out, len, "?");
	if (kmsg_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);
		char *msg, *nl, *plus;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (strstr(msg, "FAULT_INJECTION: forcing a failure")) {
			state = 1;
			names = 0;
			used = 0;
			continue;
		}
		if (state != 1 || names >= 2 || msg[0] != ' ' ||
		    msg[1] == '?' || msg[1] == '<')
			continue;
		plus = strstr(msg + 1, "+0x");
		if (!plus || alloc_frame(msg + 1, plus - msg - 1))
			continue;
		used += snprintf(out + used, used < len ? len - used : 0, "%s%.*s",
				 names ? "<" : "", (int)(plus - msg - 1), msg + 1);
		names++;
		if (used >= len)
			used = len - 1;
	}
}

/*
 * Run @call with the @nth allocation of this thread failing.  *injected:
 * whether the call made that many allocations (fail-nth reads 0 after).
 */
static int inject(unsigned int nth, int (*call)(void *), void *arg,
		  int *injected, char *site, size_t site_len)
{
	char buf[16];
	int n, rc;

	xv_kmsg("xevt: expected splat begin: %s", cur_test);
	n = snprintf(buf, sizeof(buf), "%u", nth);
	if (pwrite(nth_fd, buf, n, 0) != n) {
		rc = -errno;
		xv_kmsg("xevt: expected splat end: %s", cur_test);
		return rc == -EINVAL ? -EPROTO : rc;
	}
	rc = call(arg);
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		n = -1;
	xv_kmsg("xevt: expected splat end: %s", cur_test);
	buf[n > 0 ? n : 0] = 0;
	*injected = n > 0 && strtoul(buf, NULL, 10) == 0;
	if (*injected)
		fault_site(site, site_len);
	return rc;
}

/* What a sweep saw. */
struct sweep {
	const char *what;
	unsigned int points;	/* allocations failed, one per call */
	unsigned int enomem;	/* calls that returned -ENOMEM */
	unsigned int absorbed;	/* calls that succeeded all the same */
	unsigned int other;	/* calls that returned anything else */
	char absorbed_at[240];	/* "n:site" of each absorbed failure */
	char other_first[200];
};

/* Classify the result @rc of the call whose @n-th allocation failed. */
static void sweep_count(struct sweep *sw, unsigned int n, int rc,
			const char *site)
{
	size_t l;

	sw->points++;
	xv_report("%s: %s: allocation %u (%s) failed: %s", cur_test, sw->what,
		  n, site, rc >= 0 ? "call succeeded all the same" : strerror(-rc));
	if (rc == -ENOMEM) {
		sw->enomem++;
	} else if (rc >= 0) {
		sw->absorbed++;
		l = strlen(sw->absorbed_at);
		snprintf(sw->absorbed_at + l, sizeof(sw->absorbed_at) - l,
			 "%s%u:%s", l ? "," : "", n, site);
	} else if (!sw->other++) {
		snprintf(sw->other_first, sizeof(sw->other_first),
			 "allocation %u (%s) failed and %s returned %d (%s), not -ENOMEM",
			 n, site, sw->what, rc, strerror(-rc));
	}
}

static int sweep_verdict(const struct sweep *sw, char *why, size_t len)
{
	xv_report("%s: %s: %u allocations failed one at a time: %u gave -ENOMEM, %u were absorbed (%s), %u gave another error",
		  cur_test, sw->what, sw->points, sw->enomem, sw->absorbed,
		  sw->absorbed ? sw->absorbed_at : "none", sw->other);
	if (sw->other)
		return xv_why(why, len, "%s (%u such calls)", sw->other_first,
			      sw->other);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

/* Exactly one event, on @port, within 5 s; then none for 50 ms. */
static int one_event(int fd, unsigned int port, const char *what,
		     char *why, size_t len)
{
	unsigned int ev[8];
	int rc, more;

	rc = xv_read(fd, ev, 8, 5000);
	if (rc < 0)
		return xv_why(why, len, "%s: read: %s", what, strerror(-rc));
	more = xv_read(fd, ev + (rc > 0), 7, 50);
	if (rc != 1 || ev[0] != port || more)
		return xv_why(why, len, "%s: %d + %d events (first %u), want exactly 1 on port %u",
			      what, rc, more, rc > 0 ? ev[0] : 0, port);
	rc = xv_unmask1(fd, port);
	return rc ? xv_why(why, len, "%s: unmask %u: %s", what, port, strerror(-rc)) : 0;
}

/*
 * b on @fdb was just bound to a on @fda: Xen's initial event on b, then
 * one event each way.  Three events, each counted once.
 */
static int pair_works(int fda, unsigned int a, int fdb, unsigned int b,
		      const char *what, char *why, size_t len)
{
	char w[96];
	int rc;

	snprintf(w, sizeof(w), "%s: initial event of b=%u", what, b);
	if (one_event(fdb, b, w, why, len))
		return -1;
	rc = xv_notify(fda, a);
	snprintf(w, sizeof(w), "%s: a=%u -> b=%u", what, a, b);
	if (rc)
		return xv_why(why, len, "%s: notify: %s", w, strerror(-rc));
	if (one_event(fdb, b, w, why, len))
		return -1;
	rc = xv_notify(fdb, b);
	snprintf(w, sizeof(w), "%s: b=%u -> a=%u", what, b, a);
	if (rc)
		return xv_why(why, len, "%s: notify: %s", w, strerror(-rc));
	return one_event(fda, a, w, why, len);
}

/* An unbound port @a on @fda works: a peer binds to it and they talk. */
static int unbound_works(int fda, unsigned int a, const char *what,
			 char *why, size_t len)
{
	int fdb = xv_open(TAG), b, rc;

	if (fdb < 0)
		return xv_why(why, len, "open: %s", strerror(-fdb));
	b = xv_bind_interdomain(fdb, 0, a);
	if (b < 0) {
		close(fdb);
		return xv_why(why, len, "%s: bind_interdomain(0, %u): %s", what,
			      a, strerror(-b));
	}
	rc = pair_works(fda, a, fdb, b, what, why, len);
	xv_unbind(fdb, b);
	close(fdb);
	return rc;
}

/* ---- the calls ---------------------------------------------------------- */

struct call {
	int fd;
	unsigned int port;
};

static int call_bind_unbound(void *arg)
{
	return xv_bind_unbound(((struct call *)arg)->fd, 0);
}

static int call_bind_virq(void *arg)
{
	return xv_bind_virq(((struct call *)arg)->fd, VIRQ_DOM_EXC);
}

static int call_bind_interdomain(void *arg)
{
	struct call *c = arg;

	return xv_bind_interdomain(c->fd, 0, c->port);
}

static int call_unbind(void *arg)
{
	struct call *c = arg;

	return xv_unbind(c->fd, c->port);
}

static int call_close(void *arg)
{
	return close(((struct call *)arg)->fd) ? -errno : 0;
}

/*
 * Sweep IOCTL_EVTCHN_BIND_UNBOUND_PORT on a new file each time (its first
 * bind also allocates the file's ring).  The port of the call that
 * succeeded without a failure is returned in *port, bound on *fd.
 */
static int sweep_bind_unbound(struct sweep *sw, const struct counts *base,
			      int *fd, unsigned int *port, char *why, size_t len)
{
	char site[96], when[160];
	struct call c;
	int inj, rc;

	sw->what = "bind_unbound_port";
	for (unsigned int n = 1; n <= MAX_NTH; n++) {
		c.fd = xv_open(TAG);
		if (c.fd < 0)
			return xv_why(why, len, "open: %s", strerror(-c.fd));
		rc = inject(n, call_bind_unbound, &c, &inj, site, sizeof(site));
		if (rc == -EPROTO)
			return xv_why(why, len, "fail-nth refused %u", n);
		if (!inj) {
			if (rc < 0)
				return xv_why(why, len,
					      "bind_unbound_port without a failed allocation (%u allocations): %s",
					      n - 1, strerror(-rc));
			*fd = c.fd;
			*port = rc;
			return 0;
		}
		sweep_count(sw, n, rc, site);
		if (rc >= 0) {
			snprintf(when, sizeof(when),
				 "port %d bound though allocation %u (%s) failed",
				 rc, n, site);
			if (unbound_works(c.fd, rc, when, why, len))
				return -1;
			xv_unbind(c.fd, rc);
		}
		close(c.fd);
		snprintf(when, sizeof(when), "bind_unbound_port with allocation %u (%s) failed",
			 n, site);
		if (counts_back(base, 3000, when, why, len))
			return -1;
	}
	return xv_why(why, len, "bind_unbound_port still failing an allocation at the %uth",
		      MAX_NTH);
}

/* The end of a bind sweep: the port works, unbinding it leaves nothing. */
static int sweep_end(int fd, unsigned int port, const struct counts *base,
		     char *why, size_t len)
{
	if (unbound_works(fd, port, "the bind after the sweep", why, len))
		return -1;
	xv_unbind(fd, port);
	close(fd);
	return counts_back(base, 3000, "after the sweep and unbind", why, len);
}

/*
 * The first port of a new row of the kernel's port table (512 ports) and,
 * on FIFO, of a new page of the event array (1,024 ports): the first bind
 * there allocates both, for good.  Fill with unbound ports up to the one
 * below the next multiple of 1,024 (Xen hands out the lowest free port,
 * so the holes below are filled first), then sweep binding that multiple:
 * every failure must still give -ENOMEM or a working binding, leave the
 * counts as they were, and the bind after the sweep must get exactly that
 * port.  The sweep reaches the row's and the page's own allocation only
 * if no earlier failure was absorbed (an optional sysfs or /proc entry of
 * the IRQ, a high-order slab attempt): the bind that absorbs it goes on
 * and allocates them for good, so their failure paths are not forced here.
 */
static int t_fresh_row(char *why, size_t len)
{
	struct sweep sw = { 0 };
	struct counts base, before;
	unsigned int port, target = 0, filled = 0;
	int fill, fd, rc;

	if (fi_setup(why, len) || settled_counts(&before, why, len))
		return -1;
	fill = xv_open(TAG);
	if (fill < 0)
		return xv_why(why, len, "open: %s", strerror(-fill));
	for (unsigned int i = 0; i < XV_2L_PORTS; i++) {
		rc = xv_bind_unbound(fill, 0);
		if (rc < 0) {
			close(fill);
			return xv_why(why, len, "filling: bind %u: %s", i,
				      strerror(-rc));
		}
		filled++;
		/*
		 * Every port below rc is in use now, so the next bind gets
		 * rc + 1: stop before it, binding it would allocate the row.
		 */
		if ((rc + 1) % PORTS_PER_ROW == 0) {
			target = rc + 1;
			break;
		}
	}
	if (!target) {
		close(fill);
		return xv_why(why, len, "filling: no port at a multiple of %u after %u binds",
			      PORTS_PER_ROW, filled);
	}
	xv_report("%s: %u ports bound to reach port %u", cur_test, filled, target);
	if (settled_counts(&base, why, len))
		goto fail;
	if (sweep_bind_unbound(&sw, &base, &fd, &port, why, len))
		goto fail;
	if (port != target) {
		xv_why(why, len, "the bind after the sweep got port %u, want %u (the lowest free)",
		       port, target);
		goto fail;
	}
	if (sweep_end(fd, port, &base, why, len))
		goto fail;
	close(fill);
	if (counts_back(&before, 30000, "after unbinding the filler ports", why, len))
		return -1;
	if (sweep_verdict(&sw, why, len))
		return -1;
	return 0;
fail:
	close(fill);
	return -1;
}

static int t_bind_unbound(char *why, size_t len)
{
	struct sweep sw = { 0 };
	struct counts base;
	unsigned int port;
	int fd;

	if (fi_setup(why, len) || settled_counts(&base, why, len))
		return -1;
	if (sweep_bind_unbound(&sw, &base, &fd, &port, why, len))
		return -1;
	if (sweep_end(fd, port, &base, why, len))
		return -1;
	if (!sw.points)
		return xv_why(why, len, "no allocation failed: fault injection not in effect");
	return sweep_verdict(&sw, why, len);
}

/*
 * Sweep IOCTL_EVTCHN_BIND_VIRQ (VIRQ_DOM_EXC): Xen binds a VIRQ once per
 * domain, so a port left open by a failed bind shows at once: the next
 * bind says -EEXIST, which the sweep names as a wrong error.
 */
static int t_bind_virq(char *why, size_t len)
{
	struct sweep sw = { .what = "bind_virq" };
	char site[96], when[160];
	struct counts base;
	struct call c;
	int inj, rc;

	if (fi_setup(why, len) || settled_counts(&base, why, len))
		return -1;
	for (unsigned int n = 1; n <= MAX_NTH; n++) {
		c.fd = xv_open(TAG);
		if (c.fd < 0)
			return xv_why(why, len, "open: %s", strerror(-c.fd));
		rc = inject(n, call_bind_virq, &c, &inj, site, sizeof(site));
		if (inj) {
			sweep_count(&sw, n, rc, site);
		} else if (rc < 0) {
			close(c.fd);
			return xv_why(why, len,
				      "bind_virq(VIRQ_DOM_EXC) without a failed allocation: %d (%s)",
				      rc, strerror(-rc));
		}
		if (rc >= 0)
			xv_unbind(c.fd, rc);
		close(c.fd);
		snprintf(when, sizeof(when), inj ? "bind_virq with allocation %u (%s) failed" :
			 "bind_virq and unbind", n, site);
		if (counts_back(&base, 3000, when, why, len))
			return -1;
		if (!inj)
			break;
	}
	if (!sw.points)
		return xv_why(why, len, "no allocation failed: fault injection not in effect");
	return sweep_verdict(&sw, why, len);
}

/*
 * Sweep IOCTL_EVTCHN_BIND_INTERDOMAIN to an unbound port a of our own:
 * after each failure a must be unbound again in Xen (the failed bind
 * closed its local port), and the bind that succeeds delivers.
 */
static int t_bind_interdomain(char *why, size_t len)
{
	struct sweep sw = { 0 };
	struct evtchn_status st;
	char site[96], when[160];
	struct counts base;
	struct call c;
	int fda, a, inj, rc, ret = -1;

	if (fi_setup(why, len))
		return -1;
	fda = xv_open(TAG);
	if (fda < 0)
		return xv_why(why, len, "open: %s", strerror(-fda));
	a = xv_bind_unbound(fda, 0);
	if (a < 0) {
		close(fda);
		return xv_why(why, len, "bind_unbound_port: %s", strerror(-a));
	}
	if (settled_counts(&base, why, len))
		goto out;
	sw.what = "bind_interdomain";
	c.port = a;
	for (unsigned int n = 1; n <= MAX_NTH; n++) {
		c.fd = xv_open(TAG);
		if (c.fd < 0) {
			xv_why(why, len, "open: %s", strerror(-c.fd));
			goto out;
		}
		rc = inject(n, call_bind_interdomain, &c, &inj, site, sizeof(site));
		if (!inj) {
			if (rc < 0) {
				xv_why(why, len, "bind_interdomain without a failed allocation: %s",
				       strerror(-rc));
				close(c.fd);
				goto out;
			}
			rc = pair_works(fda, a, c.fd, rc, "the bind after the sweep",
					why, len);
			close(c.fd);
			if (rc)
				goto out;
			break;
		}
		sweep_count(&sw, n, rc, site);
		snprintf(when, sizeof(when), "port %d bound though allocation %u (%s) failed",
			 rc, n, site);
		if (rc >= 0 && pair_works(fda, a, c.fd, rc, when, why, len)) {
			close(c.fd);
			goto out;
		}
		close(c.fd);
		rc = port_status(a, &st);
		if (rc != EVTCHNSTAT_unbound || st.u.unbound.dom != 0) {
			xv_why(why, len, "after allocation %u (%s) failed: Xen says port a=%u is in state %d (remote %u), want unbound for 0",
			       n, site, a, rc, st.u.unbound.dom);
			goto out;
		}
		snprintf(when, sizeof(when), "bind_interdomain with allocation %u (%s) failed",
			 n, site);
		if (counts_back(&base, 3000, when, why, len))
			goto out;
	}
	if (counts_back(&base, 3000, "after the sweep", why, len))
		goto out;
	if (!sw.points) {
		xv_why(why, len, "no allocation failed: fault injection not in effect");
		goto out;
	}
	ret = sweep_verdict(&sw, why, len);
out:
	xv_unbind(fda, a);
	close(fda);
	return ret;
}

/*
 * Unbinding, and closing a file that still has a port bound, with each of
 * their allocations failing in turn: the port goes in either case, or, if
 * the unbind says it failed, it stays bound and can be unbound again.
 */
static int t_unbind_close(char *why, size_t len)
{
	struct sweep un = { .what = "unbind" }, cl = { .what = "close" };
	char site[96], when[160];
	struct counts base;
	struct call c;
	int fda, inj, rc, b, ret = -1;
	unsigned int a;

	if (fi_setup(why, len) || settled_counts(&base, why, len))
		return -1;
	fda = xv_open(TAG);
	if (fda < 0)
		return xv_why(why, len, "open: %s", strerror(-fda));
	rc = xv_bind_unbound(fda, 0);
	if (rc < 0) {
		close(fda);
		return xv_why(why, len, "bind_unbound_port: %s", strerror(-rc));
	}
	a = rc;
	c.fd = xv_open(TAG);
	if (c.fd < 0) {
		xv_why(why, len, "open: %s", strerror(-c.fd));
		goto out;
	}
	b = -1;
	for (unsigned int n = 1; n <= MAX_NTH; n++) {
		if (b < 0) {
			b = xv_bind_interdomain(c.fd, 0, a);
			if (b < 0) {
				xv_why(why, len, "bind_interdomain(0, %u): %s", a, strerror(-b));
				goto out;
			}
			if (pair_works(fda, a, c.fd, b, "before unbind", why, len))
				goto out;
		}
		c.port = b;
		rc = inject(n, call_unbind, &c, &inj, site, sizeof(site));
		if (inj)
			sweep_count(&un, n, rc, site);
		if (rc < 0) {
			/* Still bound: it must still work, and unbind later. */
			snprintf(when, sizeof(when), "unbind failed (%d) at allocation %u (%s)",
				 rc, n, site);
			if (!inj) {
				xv_why(why, len, "unbind of b=%u without a failed allocation: %s",
				       b, strerror(-rc));
				goto out;
			}
			rc = xv_notify(c.fd, b);
			if (rc) {
				xv_why(why, len, "%s: notify b=%u: %s", when, b, strerror(-rc));
				goto out;
			}
			if (one_event(fda, a, when, why, len))
				goto out;
		} else {
			b = -1;
		}
		if (!inj)
			break;
	}
	if (b >= 0)
		xv_unbind(c.fd, b);
	close(c.fd);
	xv_unbind(fda, a);
	close(fda);
	fda = -1;
	if (counts_back(&base, 3000, "after the unbind sweep", why, len))
		goto out;

	/* close() of a file with a pair bound: the release unbinds both. */
	for (unsigned int n = 1; n <= MAX_NTH; n++) {
		struct xv_pair p;

		c.fd = xv_open(TAG);
		if (c.fd < 0) {
			xv_why(why, len, "open: %s", strerror(-c.fd));
			goto out;
		}
		if (xv_pair_bind(&p, c.fd, c.fd, why, len)) {
			close(c.fd);
			goto out;
		}
		rc = inject(n, call_close, &c, &inj, site, sizeof(site));
		if (inj)
			sweep_count(&cl, n, rc, site);
		snprintf(when, sizeof(when), "close with allocation %u (%s) failed", n, site);
		if (counts_back(&base, 3000, inj ? when : "close", why, len))
			goto out;
		if (!inj)
			break;
	}
	ret = 0;
	if (sweep_verdict(&un, why, len) || sweep_verdict(&cl, why, len))
		ret = -1;
out:
	if (fda >= 0) {
		xv_unbind(fda, a);
		close(fda);
	}
	return ret;
}

/*
 * kmemleak: after the sweeps no object this program allocated in the
 * kernel is unreferenced.  Objects younger than 5 s are not reported, so
 * wait first; the write of "scan" returns when the scan is done.
 */
static int t_kmemleak(char *why, size_t len)
{
	char line[512], comm[32], first[200] = "";
	int fd, ours = 0, all = 0, in_ours = 0, pid;
	FILE *f;

	fd = open(KMEMLEAK, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return xv_why(why, len, "%s: %s (needs CONFIG_DEBUG_KMEMLEAK and kmemleak=on)",
			      KMEMLEAK, strerror(errno));
	xv_sleep_us(6000000);
	if (write(fd, "scan", 4) < 0) {
		int err = errno;

		close(fd);
		return xv_why(why, len, "%s: scan: %s", KMEMLEAK, strerror(err));
	}
	close(fd);
	f = fopen(KMEMLEAK, "re");
	if (!f)
		return xv_why(why, len, "%s: %s", KMEMLEAK, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19)) {
			all++;
			in_ours = 0;
			continue;
		}
		if (sscanf(line, " comm \"%31[^\"]\", pid %d", comm, &pid) == 2) {
			in_ours = !strcmp(comm, TAG) && pid == getpid();
			if (in_ours && !ours++)
				xv_report("%s: leak: comm %s pid %d", cur_test, comm, pid);
			continue;
		}
		if (in_ours && strstr(line, "[<")) {
			char *nl = strchr(line, '\n');

			if (nl)
				*nl = 0;
			xv_report("%s: leak backtrace: %s", cur_test, line);
			if (!first[0] && !strstr(line, "kmemleak") &&
			    !strstr(line, "alloc") && !strstr(line, "slab"))
				snprintf(first, sizeof(first), "%.199s", line);
		}
	}
	fclose(f);
	xv_report("%s: kmemleak reports %d unreferenced objects, %d of them allocated by this program (pid %d)",
		  cur_test, all, ours, getpid());
	if (ours)
		return xv_why(why, len, "kmemleak: %d unreferenced objects allocated by the sweeps (first site: %s)",
			      ours, first[0] ? first : "?");
	return 0;
}

static void run(const char *name, unsigned int budget, xv_test_fn fn)
{
	cur_test = name;
	xv_run(name, budget, fn);
}

/*
 * The core keeps the IRQ descriptors of unbound channels for the next
 * bind (xen.evtchn_irq_cache): they stay in /sys/kernel/irq and would
 * count as left behind.  Keep none while the tests run (writing the
 * limit frees those above it), then restore the limit.
 */
#define IRQ_CACHE "/sys/module/xen/parameters/evtchn_irq_cache"

static char irq_cache_was[16];

static void irq_cache_set(const char *val)
{
	int fd = open(IRQ_CACHE, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		perror(IRQ_CACHE);
	close(fd);
}

int main(int argc, char **argv)
{
	int rc;

	xv_start(TAG, argc, argv);
	if (read_text_file(IRQ_CACHE, irq_cache_was, sizeof(irq_cache_was)) > 0)
		irq_cache_set("0");
	/* No page fault may take an allocation while one is to fail. */
	if (!xv_arg_long("list", 0) && !xv_arg_long("budgets", 0))
		mlockall(MCL_CURRENT | MCL_FUTURE);
	run("faults_bind_unbound_port", 180, t_bind_unbound);
	run("faults_bind_interdomain", 180, t_bind_interdomain);
	run("faults_bind_virq", 180, t_bind_virq);
	run("faults_bind_fresh_table_row", 240, t_fresh_row);
	run("faults_unbind_and_close", 180, t_unbind_close);
	run("faults_kmemleak_no_leak", 240, t_kmemleak);
	rc = xv_finish();
	if (irq_cache_was[0])
		irq_cache_set(irq_cache_was);
	return rc;
}
