// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-density: thousands of real guests, each with channels to dom0.
 *
 * Run in dom0.  Creates N real PV domains running tests/density/xevt-guest
 * directly with libxenctrl and libxenguest (xl is far too slow for this
 * under emulation), gives each C event channels to dom0 and binds dom0's
 * end of every one through /dev/xen/evtchn, the way xenstored and
 * xenconsoled bind theirs: EVTCHNOP_alloc_unbound in the guest's domain
 * with dom0 as the remote, then IOCTL_EVTCHN_BIND_INTERDOMAIN.  Then:
 *
 *   - waits for the guests' first events (each sends once per channel),
 *   - runs R rounds of "dom0 notifies every channel, every guest echoes":
 *     every echo must arrive exactly once, and each guest's own counters
 *     (read from its start_info page) must agree,
 *   - checks that every guest is alive (blocked or running, not crashed),
 *   - optionally compares the kernel's per-domain view
 *     (/sys/kernel/debug/xen/events-by-domain) with what it bound and
 *     counted, guest by guest,
 *   - unbinds everything, destroys every domain and checks that dom0's
 *     bound ports and IRQ descriptors are back at their starting counts.
 *
 * A refused creation or bind (ENOSPC when dom0's ABI is full, ENOMEM when
 * Xen runs out of memory) is reported with the guest, the channel and
 * Xen's answer; the guests made so far are kept and the rounds run on
 * them.  Progress lines go to stdout as it runs; the last line is
 * "density: summary key=value ...".  Exit status: 0 when every check
 * passed (a refusal alone is not a failure: -x says whether one is
 * expected), 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenguest.h>
#include <xentoollog.h>

#include "xevt-guest.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_PORTS	(1u << 18)	/* 3-level's 262,144 */
#define VIEW_FILE	"/sys/kernel/debug/xen/events-by-domain"
#define EVENTS_FILE	"/sys/kernel/debug/xen/events"

struct guest {
	uint32_t domid;
	unsigned int nchan;		/* channels bound */
	evtchn_port_t *lport;		/* dom0's port of channel i */
	/* In the guest's start_info page: the guest writes it as it runs. */
	volatile struct xg_stats *st;
	unsigned long events;		/* events dom0 read from its ports */
	unsigned int rounds;		/* echo rounds it took part in */
};

struct opts {
	unsigned int guests, channels, rounds, mem_mb, progress, probe;
	unsigned int round_timeout, settle_timeout;
	const char *kernel;
	bool view, quiet_xc;
};

static struct opts o = {
	.guests = 100, .channels = 4, .rounds = 3, .mem_mb = 4,
	.progress = 100, .round_timeout = 120, .settle_timeout = 60,
	.kernel = "/lib/xevt/xevt-guest",
};

static xc_interface *xch;
static xenevtchn_handle *xce;
static int xfd;
static struct guest *g;
static unsigned int ng;			/* guests created */
static uint32_t *owner;			/* dom0 port -> guest index + 1 */
static uint16_t *chan_of;		/* dom0 port -> channel index */
static uint32_t *got;			/* events per dom0 port, this phase */
static unsigned long total_events, stray_events;
static double last_round_s;
static int failures;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("density: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("density: FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures++;
}

/* A field of /proc/meminfo in KiB, or -1. */
static long meminfo_kib(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * The core keeps up to xen.evtchn_irq_cache descriptors of unbound
 * channels for the next bind: not left behind, so count_irqs() frees them
 * first (the limit set to 0, then back).
 */
#define IRQ_CACHE "/sys/module/xen/parameters/evtchn_irq_cache"

static void irq_cache_write(const char *val)
{
	int fd = open(IRQ_CACHE, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		fail("write %s to %s: %s", val, IRQ_CACHE, strerror(errno));
	close(fd);
}

/* IRQ descriptors: one directory per descriptor in /sys/kernel/irq. */
static long count_irqs(void)
{
	char was[16] = "";
	struct dirent *e;
	long n = 0;
	ssize_t len;
	DIR *d;
	int fd;

	fd = open(IRQ_CACHE, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, was, sizeof(was) - 1);
		close(fd);
		if (len > 0) {
			was[len] = 0;
			irq_cache_write("0");
		}
	}
	d = opendir("/sys/kernel/irq");
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
				n++;
		closedir(d);
	}
	if (was[0])
		irq_cache_write(was);
	return d ? n : -1;
}

/* Ports dom0 has bound: one non-comment row each in the debugfs table. */
static long count_ports(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(EVENTS_FILE, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#')
			n++;
	fclose(f);
	return n;
}

/* The whole of a file (debugfs files say they are empty: read to EOF). */
static void *read_file(const char *path, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1), *nb;
	FILE *f = fopen(path, "rb");
	size_t r;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		cap *= 2;
		nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = nb;
	}
	fclose(f);
	if (!n) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Read every event that is there now (waiting up to @wait_ms for the
 * first), count it, and unmask the ports read.  Returns how many were read.
 */
static long pump(int wait_ms)
{
	evtchn_port_t buf[1024];
	const size_t nbuf = ARRAY_SIZE(buf);
	struct pollfd pfd = { .fd = xfd, .events = POLLIN };
	long n = 0;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	for (;;) {
		ssize_t r = read(xfd, buf, sizeof(buf));
		size_t i, k;

		if (r <= 0)
			break;
		k = r / sizeof(buf[0]);
		for (i = 0; i < k; i++) {
			evtchn_port_t p = buf[i];

			if (p >= MAX_PORTS || !owner[p]) {
				stray_events++;
				continue;
			}
			got[p]++;
			g[owner[p] - 1].events++;
			total_events++;
		}
		if (write(xfd, buf, k * sizeof(buf[0])) != (ssize_t)(k * sizeof(buf[0])))
			fail("unmask of %zu ports: %s", k, strerror(errno));
		n += k;
		if (k < nbuf)
			break;
	}
	return n;
}

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ ENOSPC, "ENOSPC" }, { ENOMEM, "ENOMEM" }, { EINVAL, "EINVAL" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { EPERM, "EPERM" },
		{ ESRCH, "ESRCH" }, { EIO, "EIO" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == e)
			return names[i].name;
	return "E?";
}

static int refused_guest = -1, refused_chan = -1, refused_errno;
static char refused_what[64];

static void refuse(unsigned int gi, int ch, const char *what, int e)
{
	refused_guest = gi;
	refused_chan = ch;
	refused_errno = e;
	snprintf(refused_what, sizeof(refused_what), "%s", what);
	if (ch >= 0)
		say("refused: guest %u (domid %u) channel %d: %s: %s (%d, %s)",
		    gi, g[gi].domid, ch + 1, what, errname(e), -e, strerror(e));
	else
		say("refused: guest %u: %s: %s (%d, %s)", gi, what,
		    errname(e), -e, strerror(e));
}

/* Build the guest's image in its domain; returns 0 or -errno. */
static int build(struct guest *gs, const void *img, size_t len)
{
	char cmd[32];
	struct xc_dom_image *dom;
	xen_pfn_t si_mfn;
	int rc = -EIO;

	snprintf(cmd, sizeof(cmd), "c=%u", gs->nchan);
	dom = xc_dom_allocate(xch, cmd, NULL);
	if (!dom)
		return -ENOMEM;
	dom->container_type = XC_DOM_PV_CONTAINER;
	dom->max_vcpus = 1;
	if (xc_dom_kernel_mem(dom, img, len) ||
	    xc_dom_boot_xen_init(dom, xch, gs->domid) ||
	    xc_dom_parse_image(dom) ||
	    xc_dom_mem_init(dom, o.mem_mb) ||
	    xc_dom_boot_mem_init(dom) ||
	    xc_dom_build_image(dom) ||
	    xc_dom_boot_image(dom)) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	si_mfn = dom->pv_p2m[dom->start_info_pfn];
	gs->st = xc_map_foreign_range(xch, gs->domid, XC_PAGE_SIZE,
				      PROT_READ, si_mfn);
	if (!gs->st) {
		rc = -errno;
		goto out;
	}
	gs->st = (void *)((char *)gs->st + XG_STATS_OFF);
	rc = 0;
out:
	xc_dom_release(dom);
	return rc;
}

/* Undo a guest that could not be completed: its ports, its domain. */
static long pump(int wait_ms);

static void drop_guest(unsigned int gi)
{
	struct guest *gs = &g[gi];
	unsigned int c;

	pump(0);	/* what its binds left pending */
	for (c = 0; c < gs->nchan; c++) {
		xenevtchn_unbind(xce, gs->lport[c]);
		owner[gs->lport[c]] = 0;
		got[gs->lport[c]] = 0;
	}
	gs->nchan = 0;
	xc_domain_destroy(xch, gs->domid);
	ng = gi;
}

/* Create guest @gi; false when a refusal ends the creation phase. */
static bool create_one(unsigned int gi, const void *img, size_t len)
{
	struct xen_domctl_createdomain cfg = {
		.max_vcpus = 1,
		.max_evtchn_port = o.channels,
		.max_grant_frames = 1,
		.max_maptrack_frames = 0,
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
	};
	struct guest *gs = &g[gi];
	uint32_t domid = 0;
	unsigned int c;
	int rc;

	if (xc_domain_create(xch, &domid, &cfg)) {
		refuse(gi, -1, "domain create", errno);
		return false;
	}
	gs->domid = domid;
	gs->lport = calloc(o.channels, sizeof(*gs->lport));
	if (!gs->lport) {
		xc_domain_destroy(xch, domid);
		refuse(gi, -1, "calloc", ENOMEM);
		return false;
	}
	/* vCPU 0 must exist before dom0 may notify this domain. */
	if (xc_domain_max_vcpus(xch, domid, 1) ||
	    xc_domain_setmaxmem(xch, domid, o.mem_mb * 1024 + 1024)) {
		rc = errno;
		xc_domain_destroy(xch, domid);
		refuse(gi, -1, "vcpus/maxmem", rc);
		return false;
	}
	ng = gi + 1;
	for (c = 0; c < o.channels; c++) {
		int rport = xc_evtchn_alloc_unbound(xch, domid, 0);
		xenevtchn_port_or_error_t lp;

		if (rport < 0) {
			refuse(gi, c, "alloc_unbound", errno);
			break;
		}
		if ((unsigned int)rport != c + 1) {
			fail("guest %u: alloc_unbound gave port %d, want %u",
			     gi, rport, c + 1);
			break;
		}
		lp = xenevtchn_bind_interdomain(xce, domid, rport);
		if (lp < 0) {
			refuse(gi, c, "bind_interdomain", errno);
			break;
		}
		if ((unsigned int)lp >= MAX_PORTS) {
			fail("dom0 port %d out of the table", lp);
			break;
		}
		owner[lp] = gi + 1;
		chan_of[lp] = c;
		gs->lport[c] = lp;
		gs->nchan++;
	}
	if (!gs->nchan) {
		drop_guest(gi);
		return false;
	}
	rc = build(gs, img, len);
	if (rc) {
		refuse(gi, -1, "build", -rc);
		drop_guest(gi);
		return false;
	}
	if (xc_domain_unpause(xch, domid)) {
		refuse(gi, -1, "unpause", errno);
		drop_guest(gi);
		return false;
	}
	return gs->nchan == o.channels;
}

static unsigned long bound_ports(void)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < ng; i++)
		n += g[i].nchan;
	return n;
}

/* Wait until every guest's counters say what @ok accepts. */
static unsigned int wait_guests(bool (*ok)(const struct guest *, unsigned int),
				unsigned int arg, double timeout)
{
	double end = now_s() + timeout;
	unsigned int i, good;

	for (;;) {
		good = 0;
		for (i = 0; i < ng; i++)
			if (g[i].st && ok(&g[i], arg))
				good++;
		if (good == ng || now_s() > end)
			return good;
		pump(10);
	}
}

/*
 * A guest's own counters agree with the rounds it took part in: it sent
 * once per channel at start and once per event since, received one event
 * per channel per round, and no send failed.
 */
static bool echoed(const struct guest *gs, unsigned int unused)
{
	(void)unused;
	return gs->st->magic == XG_MAGIC &&
	       gs->st->received == (uint64_t)gs->rounds * gs->nchan &&
	       gs->st->sent == (uint64_t)(gs->rounds + 1) * gs->nchan &&
	       !gs->st->send_errors;
}

static void report_guest(const struct guest *gs, unsigned int gi)
{
	fail("guest %u (domid %u): magic %s, channels %lu, received %lu, sent %lu, send errors %lu",
	     gi, gs->domid, gs->st->magic == XG_MAGIC ? "ok" : "missing",
	     (unsigned long)gs->st->channels, (unsigned long)gs->st->received,
	     (unsigned long)gs->st->sent, (unsigned long)gs->st->send_errors);
}

/* The first events: one per channel at least (bind + the guest's send). */
static void initial_phase(void)
{
	double t0 = now_s();
	unsigned long want = bound_ports(), seen;
	unsigned int i, c, good, shown = 0;

	good = wait_guests(echoed, 0, o.settle_timeout);
	for (;;) {
		seen = 0;
		for (i = 0; i < ng; i++)
			for (c = 0; c < g[i].nchan; c++)
				seen += got[g[i].lport[c]] > 0;
		if (seen == want || now_s() - t0 > o.settle_timeout)
			break;
		pump(100);
	}
	/* Drain what is still in flight: a second with nothing new. */
	while (pump(1000) > 0)
		;
	say("initial: %u/%u guests started, %lu/%lu ports had their first event, %lu events in %.1f s",
	    good, ng, seen, want, total_events, now_s() - t0);
	if (good != ng)
		for (i = 0; i < ng && shown < 5; i++)
			if (!echoed(&g[i], 0)) {
				report_guest(&g[i], i);
				shown++;
			}
	if (seen != want)
		fail("%lu ports never had an event", want - seen);
}

/* One echo round over every guest; @r names it (0: a probe). */
static bool run_round(unsigned int r)
{
	unsigned long want = bound_ports(), have = 0, lost = 0, dup = 0;
	double t0 = now_s(), last = t0, t_notify;
	unsigned int i, c, good, shown = 0;

	memset(got, 0, MAX_PORTS * sizeof(*got));
	for (i = 0; i < ng; i++)
		g[i].rounds++;
	for (i = 0; i < ng; i++)
		for (c = 0; c < g[i].nchan; c++)
			if (xenevtchn_notify(xce, g[i].lport[c]))
				fail("notify guest %u channel %u: %s", i, c + 1,
				     strerror(errno));
	/*
	 * Each notify is a hypercall that wakes a guest's vCPU, which Xen's
	 * scheduler may run before dom0 gets on with the loop: the loop's
	 * time is Xen's scheduling, the rest is the echoes' way back.
	 */
	t_notify = now_s() - t0;
	while (have < want) {
		long n = pump(1000);

		if (n > 0) {
			have += n;
			last = now_s();
		} else if (now_s() - last > o.round_timeout) {
			break;
		}
	}
	/* Anything doubled would be here by now. */
	have += pump(200);
	for (i = 0; i < ng; i++)
		for (c = 0; c < g[i].nchan; c++) {
			uint32_t n = got[g[i].lport[c]];

			if (n == 1)
				continue;
			if (n)
				dup++;
			else
				lost++;
			if (shown++ < 5)
				fail("round %u: guest %u (domid %u) channel %u (dom0 port %u): %u echoes",
				     r, i, g[i].domid, c + 1, g[i].lport[c], n);
		}
	good = wait_guests(echoed, r, 10);
	last_round_s = now_s() - t0;
	say("timing of %s %u: notify_s=%.2f echo_wait_s=%.2f", r ? "round" : "probe at",
	    r ? r : ng, t_notify, last_round_s - t_notify);
	if (r)
		say("round %u/%u: notified %lu, echoes %lu, lost %lu, doubled %lu, guests agreeing %u/%u, %.2f s",
		    r, o.rounds, want, have, lost, dup, good, ng, last_round_s);
	else
		say("probe round at %u guests: notified %lu, echoes %lu, lost %lu, doubled %lu, guests agreeing %u/%u, %.2f s",
		    ng, want, have, lost, dup, good, ng, last_round_s);
	for (i = 0, shown = 0; i < ng && shown < 5 && good != ng; i++)
		if (!echoed(&g[i], r)) {
			report_guest(&g[i], i);
			shown++;
		}
	if (lost || dup || good != ng) {
		fail("round %u: %lu lost, %lu doubled, %u guests disagree",
		     r, lost, dup, ng - good);
		return false;
	}
	return true;
}

static unsigned int check_alive(unsigned int *blocked, unsigned int *crashed)
{
	xc_domaininfo_t info;
	unsigned int i, alive = 0;

	*blocked = *crashed = 0;
	for (i = 0; i < ng; i++) {
		if (xc_domain_getinfolist(xch, g[i].domid, 1, &info) != 1 ||
		    info.domain != g[i].domid) {
			fail("guest %u (domid %u): gone", i, g[i].domid);
			continue;
		}
		if (info.flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying)) {
			(*crashed)++;
			if (*crashed <= 5)
				fail("guest %u (domid %u): shut down, reason %u",
				     i, g[i].domid,
				     (info.flags >> XEN_DOMINF_shutdownshift) &
				     XEN_DOMINF_shutdownmask);
			continue;
		}
		alive++;
		if (info.flags & XEN_DOMINF_blocked)
			(*blocked)++;
	}
	return alive;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The kernel's per-domain rows against what we bound and read: ports and
 * events of every guest's domain must match exactly.
 */
static void check_view(void)
{
	size_t len = 0;
	char *buf = read_file(VIEW_FILE, &len), *line, *save = NULL;
	uint32_t *ids;
	unsigned int i, match = 0, rows = 0, shown = 0;

	if (!buf) {
		fail("view: cannot read %s", VIEW_FILE);
		return;
	}
	ids = malloc(ng * sizeof(*ids));
	for (i = 0; i < ng; i++)
		ids[i] = (g[i].domid << 12) | i;	/* sorted by domid */
	qsort(ids, ng, sizeof(*ids), cmp_u32);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int domid, ports;
		unsigned long events;
		size_t lo = 0, hi = ng;

		if (line[0] == '#' ||
		    sscanf(line, "%u %u %lu", &domid, &ports, &events) != 3)
			continue;
		rows++;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if ((ids[mid] >> 12) < domid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == ng || (ids[lo] >> 12) != domid)
			continue;
		i = ids[lo] & 0xfff;
		if (ports == g[i].nchan && events == g[i].events)
			match++;
		else if (shown++ < 5)
			fail("view: domid %u: kernel says %u ports, %lu events; bound %u, read %lu",
			     domid, ports, events, g[i].nchan, g[i].events);
	}
	say("view: %u/%u guest domains match the kernel's rows (ports and events), %u rows",
	    match, ng, rows);
	if (match != ng)
		fail("view: %u guest domains do not match", ng - match);
	free(ids);
	free(buf);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-n guests] [-c channels/guest (<= %d)] [-r rounds]\n"
		"       [-m guest MiB] [-k guest kernel] [-p progress every N guests]\n"
		"       [-t round timeout s] [-e probe round every N guests]\n"
		"       [-V (check the per-domain view)]\n",
		"xevt-density", XG_MAX_CHANNELS);
	exit(2);
}

int main(int argc, char **argv)
{
	long ports0, irqs0, ports1, irqs1, ports2 = -1, irqs2 = -1;
	long avail0, avail1;
	double t0, t_create, tl, round_max = 0;
	unsigned int i, c, rounds_ok = 0, alive, blocked, crashed;
	xentoollog_logger *logger = NULL;
	size_t img_len;
	void *img;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:r:m:k:p:t:e:V")) != -1) {
		unsigned int v = optarg ? strtoul(optarg, NULL, 0) : 0;

		switch (opt) {
		case 'n':
			o.guests = v;
			break;
		case 'c':
			o.channels = v;
			break;
		case 'r':
			o.rounds = v;
			break;
		case 'm':
			o.mem_mb = v;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'p':
			o.progress = v;
			break;
		case 't':
			o.round_timeout = v;
			break;
		case 'e':
			o.probe = v;
			break;
		case 'V':
			o.view = true;
			break;
		default:
			usage();
		}
	}
	if (!o.guests || o.guests > 4095 || !o.channels ||
	    o.channels > XG_MAX_CHANNELS || !o.progress)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	img = read_file(o.kernel, &img_len);
	g = calloc(o.guests, sizeof(*g));
	owner = calloc(MAX_PORTS, sizeof(*owner));
	chan_of = calloc(MAX_PORTS, sizeof(*chan_of));
	got = calloc(MAX_PORTS, sizeof(*got));
	if (!img || !g || !owner || !chan_of || !got) {
		fprintf(stderr, "density: cannot load %s or allocate tables\n",
			o.kernel);
		return 2;
	}
	if (getenv("XEVT_DENSITY_DEBUG"))
		logger = (xentoollog_logger *)
			xtl_createlogger_stdiostream(stderr, XTL_DEBUG, 0);
	xch = xc_interface_open(logger, logger, 0);
	xce = xenevtchn_open(NULL, 0);
	if (!xch || !xce) {
		fprintf(stderr, "density: cannot open libxenctrl/evtchn: %s\n",
			strerror(errno));
		return 2;
	}
	xfd = xenevtchn_fd(xce);
	fcntl(xfd, F_SETFL, fcntl(xfd, F_GETFL) | O_NONBLOCK);

	ports0 = count_ports();
	irqs0 = count_irqs();
	avail0 = meminfo_kib("MemAvailable");
	say("plan: guests=%u channels=%u rounds=%u guest_mb=%u; dom0 before: ports=%ld irqs=%ld MemAvailable=%ld MiB",
	    o.guests, o.channels, o.rounds, o.mem_mb, ports0, irqs0,
	    avail0 / 1024);

	t0 = tl = now_s();
	for (i = 0; i < o.guests; i++) {
		bool more = create_one(i, img, img_len);
		double t;

		/* Serve events as we go: each bind leaves one pending. */
		pump(0);
		if ((i + 1) % o.progress && more && i + 1 != o.guests)
			continue;
		t = now_s();
		say("progress guests=%u/%u ports=%lu elapsed_s=%.1f interval_guests=%u interval_s=%.2f per_guest_ms=%.1f mem_available_mib=%ld",
		    ng, o.guests, bound_ports(), t - t0, (i % o.progress) + 1,
		    t - tl, 1000.0 * (t - tl) / ((i % o.progress) + 1),
		    meminfo_kib("MemAvailable") / 1024);
		if (o.probe && (ng % o.probe == 0 || !more || i + 1 == o.guests)) {
			initial_phase();
			run_round(0);
			say("probe guests=%u ports=%lu round_s=%.2f", ng,
			    bound_ports(), last_round_s);
			t0 += now_s() - t;	/* creation time only */
		}
		tl = now_s();
		if (!more)
			break;
	}
	t_create = now_s() - t0;
	if (!ng)
		fail("no guest could be created");
	avail1 = meminfo_kib("MemAvailable");
	ports1 = count_ports();
	irqs1 = count_irqs();
	say("bound: %u guests, %lu channels; dom0: ports=%ld irqs=%ld",
	    ng, bound_ports(), ports1, irqs1);
	if (ports0 >= 0 && ports1 - ports0 != (long)bound_ports())
		fail("dom0 ports grew by %ld, bound %lu", ports1 - ports0,
		     bound_ports());

	initial_phase();
	for (i = 1; i <= o.rounds; i++) {
		double t = now_s();

		rounds_ok += run_round(i);
		if (now_s() - t > round_max)
			round_max = now_s() - t;
	}
	alive = check_alive(&blocked, &crashed);
	say("alive: %u/%u (blocked %u, crashed or shut down %u)", alive, ng,
	    blocked, crashed);
	if (alive != ng)
		fail("%u guests not alive", ng - alive);
	if (o.view)
		check_view();

	/* Teardown: dom0's ends first, then the domains. */
	t0 = now_s();
	for (i = 0; i < ng; i++) {
		for (c = 0; c < g[i].nchan; c++) {
			if (xenevtchn_unbind(xce, g[i].lport[c]))
				fail("unbind dom0 port %u: %s", g[i].lport[c],
				     strerror(errno));
			owner[g[i].lport[c]] = 0;
		}
		if (g[i].st)
			munmap((void *)((uintptr_t)g[i].st & ~(uintptr_t)4095),
			       XC_PAGE_SIZE);
		if (xc_domain_destroy(xch, g[i].domid))
			fail("destroy domid %u: %s", g[i].domid,
			     strerror(errno));
	}
	/* IRQ descriptors are freed after an RCU grace period. */
	for (i = 0; i < 300; i++) {
		ports2 = count_ports();
		irqs2 = count_irqs();
		if (ports2 == ports0 && irqs2 == irqs0)
			break;
		usleep(100000);
	}
	say("teardown: %u guests destroyed in %.1f s; dom0 ports %ld -> %ld -> %ld, irqs %ld -> %ld -> %ld",
	    ng, now_s() - t0, ports0, ports1, ports2, irqs0, irqs1, irqs2);
	if (ports2 != ports0 || irqs2 != irqs0)
		fail("dom0 not back at its starting counts");
	if (stray_events)
		fail("%lu events on ports that are not ours", stray_events);

	say("summary guests=%u channels=%u ports=%lu refused_guest=%d refused_channel=%d refused_errno=%d refused_op=%s create_s=%.1f per_guest_ms=%.1f rounds=%u rounds_ok=%u round_s_max=%.2f alive=%u crashed=%u dom0_kib_per_channel=%.2f ports_before=%ld ports_after=%ld irqs_before=%ld irqs_after=%ld failures=%d",
	    ng, o.channels, bound_ports(), refused_guest, refused_chan + 1,
	    refused_errno, refused_what[0] ? refused_what : "-", t_create,
	    ng ? 1000.0 * t_create / ng : 0.0, o.rounds, rounds_ok, round_max,
	    alive, crashed,
	    bound_ports() ? (double)(avail0 - avail1) / bound_ports() : 0.0,
	    ports0, ports2, irqs0, irqs2, failures);
	return failures ? 1 : 0;
}
