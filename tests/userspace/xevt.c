// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the userspace boot tests (see xevt.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <stdint.h>
/* <xen/evtchn.h> uses domid_t, which only a kernel-internal header defines */
typedef uint16_t domid_t;
#include <xen/evtchn.h>

#include "xevt.h"

#define MARK "@@XEVT@@"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog_name = "xevt";
static int nr_failed;
/* budgets=1: run nothing, sum the budgets of the tests that would run. */
static int budgets_only;
static unsigned long budget_sum;
/* list=1: run nothing, print "xevt-list <name>" of each test that would run. */
static int list_only;
/* The verdict channel /init opened (fd 9, XEVT_CHAN_FD=9), else -1. */
static int chan_fd = -1;
static int nr_args;
static char **args;

/* The watchdog of the running test (see xv_run()). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *test;
	unsigned int budget_s;
	int running;
	void (*progress)(char *buf, size_t len, void *arg);
	void *arg;
} wd = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* ---- output ---------------------------------------------------------- */

/* One write() per line, so lines of concurrent threads never interleave. */
static void put_line(int fd, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	if (write(fd, buf, n) < 0)
		return;
}

static void line(const char *fmt, ...)
	__printf(1, 2);
static void line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_line(STDOUT_FILENO, fmt, ap);
	va_end(ap);
}

/* A verdict: on the console and on the verdict channel. */
static void verdict_line(const char *fmt, ...)
	__printf(1, 2);
static void verdict_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_line(STDOUT_FILENO, fmt, ap);
	va_end(ap);
	if (chan_fd < 0)
		return;
	va_start(ap, fmt);
	put_line(chan_fd, fmt, ap);
	va_end(ap);
}

void xv_report(const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line(MARK " | %s: %s", prog_name, buf);
}

int xv_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

void xv_watch(void (*progress)(char *buf, size_t len, void *arg), void *arg)
{
	pthread_mutex_lock(&wd.lock);
	wd.progress = progress;
	wd.arg = arg;
	pthread_mutex_unlock(&wd.lock);
}

/*
 * A test still running after its budget is reported as failed, with the
 * counts its progress callback gives, and the program exits: a stuck
 * test cannot hold up the ones after it (the boot has a timeout, too).
 */
static void *watchdog(void *unused)
{
	struct timespec until;
	char buf[400] = "";

	(void)unused;
	pthread_mutex_lock(&wd.lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wd.budget_s;
	while (wd.running) {
		if (pthread_cond_timedwait(&wd.cond, &wd.lock, &until) != ETIMEDOUT)
			continue;
		if (wd.progress)
			wd.progress(buf, sizeof(buf), wd.arg);
		verdict_line(MARK " not ok %s # watchdog: still running after %u s%s%s",
			     wd.test, wd.budget_s, buf[0] ? "; " : "", buf);
		_exit(3);
	}
	pthread_mutex_unlock(&wd.lock);
	return NULL;
}

void xv_start(const char *prog, int argc, char **argv)
{
	const char *chan;

	prog_name = prog;
	nr_args = argc - 1;
	args = argv + 1;
	/* A reader that went away must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	budgets_only = xv_arg_long("budgets", 0) > 0;
	list_only = xv_arg_long("list", 0) > 0;
	chan = getenv("XEVT_CHAN_FD");
	if (chan && !strcmp(chan, "9") && fcntl(9, F_GETFD) >= 0)
		chan_fd = 9;
}

int xv_finish(void)
{
	if (budgets_only) {
		printf("xevt-budget %lu\n", budget_sum);
		return 0;
	}
	if (list_only)
		return 0;
	return nr_failed ? 1 : 0;
}

const char *xv_arg(const char *key, const char *dflt)
{
	size_t kl = strlen(key);

	for (int i = 0; i < nr_args; i++)
		if (!strncmp(args[i], key, kl) && args[i][kl] == '=')
			return args[i] + kl + 1;
	return dflt;
}

long xv_arg_long(const char *key, long dflt)
{
	const char *v = xv_arg(key, NULL);

	return v ? strtol(v, NULL, 0) : dflt;
}

static int selected(const char *name)
{
	int any = 0;

	for (int i = 0; i < nr_args; i++) {
		if (strchr(args[i], '='))
			continue;
		any = 1;
		if (strstr(name, args[i]))
			return 1;
	}
	return !any;
}

/* ---- kernel log watch ------------------------------------------------ */

static const char *const bad_kmsg[] = {
	"WARNING:", "BUG:", "Oops", "kernel BUG", "general protection fault",
	"apparently not enabled", "soft lockup", "hard LOCKUP",
	"blocked for more than", "rcu: INFO", "self-detected stall",
	"Call Trace", "list_add corruption", "list_del corruption",
	"UBSAN:", "KASAN:", "Unable to handle",
};

/*
 * xv_allow_alloc_failure_reports(): records that announce a failed
 * allocation, each followed by at most one stack dump that belongs to it.
 */
static int allow_alloc_reports;
static unsigned long alloc_reports;

static const char *const alloc_report_kmsg[] = {
	"FAULT_INJECTION: forcing a failure",	/* lib/fault-inject.c */
	"page allocation failure: order:",	/* warn_alloc() */
	"percpu: allocation failed",		/* pcpu_alloc() */
};

void xv_allow_alloc_failure_reports(void)
{
	allow_alloc_reports = 1;
}

static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* First bad record logged since @fd was opened, copied to @out. */
static int kmsg_scan(int fd, char *out, size_t len)
{
	char rec[2048];
	int found = 0, dump_ok = 0;

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip them */
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
		if (found)
			continue;
		if (allow_alloc_reports) {
			size_t i;

			for (i = 0; i < ARRAY_SIZE(alloc_report_kmsg); i++)
				if (strstr(msg, alloc_report_kmsg[i]))
					break;
			if (i < ARRAY_SIZE(alloc_report_kmsg)) {
				alloc_reports++;
				dump_ok = 1;
				continue;
			}
			/* The one stack dump the report announced. */
			if (dump_ok && strstr(msg, "Call Trace")) {
				dump_ok = 0;
				continue;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(bad_kmsg); i++) {
			if (strstr(msg, bad_kmsg[i])) {
				snprintf(out, len, "%s", msg);
				found = 1;
				break;
			}
		}
	}
	return found;
}

int xv_kmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd, n, err = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

void xv_run(const char *name, unsigned int budget_s, xv_test_fn fn)
{
	char why[700] = "";
	char kline[400];
	pthread_t wd_thread;
	uint64_t t0;
	int kfd, kerr, rc;

	if (!selected(name))
		return;
	if (xv_arg_long("budget", 0) > 0)
		budget_s = xv_arg_long("budget", 0);
	if (budgets_only) {
		budget_sum += budget_s;
		return;
	}
	if (list_only) {
		line("xevt-list %s", name);
		return;
	}
	kfd = kmsg_open_at_end();
	kerr = errno;
	t0 = xv_now_ns();
	wd.test = name;
	wd.budget_s = budget_s;
	wd.running = 1;
	wd.progress = NULL;
	pthread_create(&wd_thread, NULL, watchdog, NULL);
	rc = fn(why, sizeof(why));
	pthread_mutex_lock(&wd.lock);
	wd.running = 0;
	pthread_cond_signal(&wd.cond);
	pthread_mutex_unlock(&wd.lock);
	pthread_join(wd_thread, NULL);
	if (kfd < 0) {
		rc = -1;
		snprintf(why, sizeof(why), "cannot watch the kernel log: /dev/kmsg: %s",
			 strerror(kerr));
	} else {
		if (kmsg_scan(kfd, kline, sizeof(kline))) {
			if (!rc)
				snprintf(why, sizeof(why), "kernel logged: %s", kline);
			else
				xv_report("%s: kernel logged: %s", name, kline);
			rc = -1;
		}
		close(kfd);
	}
	if (allow_alloc_reports)
		xv_report("%s: %lu allocation failure reports in the kernel log (expected)",
			  name, alloc_reports);
	allow_alloc_reports = 0;
	alloc_reports = 0;
	xv_report("%s: %.2f s", name, (xv_now_ns() - t0) / 1e9);
	if (rc) {
		nr_failed++;
		verdict_line(MARK " not ok %s # %s", name, why[0] ? why : "failed");
	} else {
		verdict_line(MARK " ok %s", name);
	}
}

/* ---- /dev/xen/evtchn ------------------------------------------------- */

/*
 * The device names the IRQs of a file "evtchn:<comm of the opener>", so
 * opening under a distinctive thread name lets the tests find them in
 * /proc/interrupts.
 */
int xv_open(const char *tag)
{
	char old[16] = "";
	int fd, err;

	prctl(PR_GET_NAME, old);
	if (tag)
		prctl(PR_SET_NAME, tag);
	fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	err = errno;
	prctl(PR_SET_NAME, old);
	return fd < 0 ? -err : fd;
}

static int ioc(int fd, unsigned long cmd, void *arg)
{
	int rc = ioctl(fd, cmd, arg);

	return rc < 0 ? -errno : rc;
}

int xv_bind_unbound(int fd, unsigned int remote_dom)
{
	struct ioctl_evtchn_bind_unbound_port b = { .remote_domain = remote_dom };

	return ioc(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &b);
}

int xv_bind_interdomain(int fd, unsigned int remote_dom,
			unsigned int remote_port)
{
	struct ioctl_evtchn_bind_interdomain b = {
		.remote_domain = remote_dom,
		.remote_port = remote_port,
	};

	return ioc(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
}

int xv_bind_virq(int fd, unsigned int virq)
{
	struct ioctl_evtchn_bind_virq b = { .virq = virq };

	return ioc(fd, IOCTL_EVTCHN_BIND_VIRQ, &b);
}

int xv_unbind(int fd, unsigned int port)
{
	struct ioctl_evtchn_unbind u = { .port = port };

	return ioc(fd, IOCTL_EVTCHN_UNBIND, &u);
}

int xv_notify(int fd, unsigned int port)
{
	struct ioctl_evtchn_notify n = { .port = port };

	return ioc(fd, IOCTL_EVTCHN_NOTIFY, &n);
}

int xv_reset(int fd)
{
	return ioc(fd, IOCTL_EVTCHN_RESET, NULL);
}

/* The device takes at most a page of port numbers per write(). */
int xv_unmask(int fd, const unsigned int *ports, size_t n)
{
	while (n) {
		size_t chunk = n > 1024 ? 1024 : n;
		ssize_t w = write(fd, ports, chunk * sizeof(*ports));

		if (w < 0)
			return -errno;
		if ((size_t)w != chunk * sizeof(*ports))
			return -EIO;
		ports += chunk;
		n -= chunk;
	}
	return 0;
}

int xv_unmask1(int fd, unsigned int port)
{
	return xv_unmask(fd, &port, 1);
}

static int poll_left(uint64_t deadline)
{
	uint64_t now = xv_now_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

int xv_read(int fd, unsigned int *ports, size_t max, int timeout_ms)
{
	uint64_t deadline = xv_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (max > 1024)
		max = 1024;
	for (;;) {
		int rc = poll(&p, 1, poll_left(deadline));

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return 0;
		n = read(fd, ports, max * sizeof(*ports));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return -errno;
		return (int)(n / sizeof(*ports));
	}
}

unsigned long xv_collect(const int *fds, int nfds, uint32_t *count,
			 size_t nports, unsigned long want, int timeout_ms,
			 unsigned long *strays)
{
	uint64_t deadline = xv_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd p[16];
	unsigned int buf[1024];
	unsigned long got = 0;

	if (nfds > 16)
		nfds = 16;
	for (int i = 0; i < nfds; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (got < want) {
		int rc = poll(p, nfds, poll_left(deadline));

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		for (int i = 0; i < nfds; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(fds[i], buf, sizeof(buf));
			if (n < 0) {
				if (errno == EAGAIN)
					continue;
				return got;	/* e.g. EFBIG: ring overflow */
			}
			for (size_t k = 0; k < n / sizeof(buf[0]); k++) {
				if (buf[k] < nports)
					count[buf[k]]++;
				else if (strays)
					(*strays)++;
				got++;
			}
		}
	}
	return got;
}

int xv_pair_bind(struct xv_pair *p, int fda, int fdb, char *why, size_t len)
{
	unsigned int ev[8];
	int rc;

	p->fda = fda;
	p->fdb = fdb;
	rc = xv_bind_unbound(fda, 0);
	if (rc < 0)
		return xv_why(why, len, "bind_unbound_port(remote 0): %s",
			      strerror(-rc));
	p->a = rc;
	rc = xv_bind_interdomain(fdb, 0, p->a);
	if (rc < 0) {
		xv_unbind(fda, p->a);
		return xv_why(why, len, "bind_interdomain(0, %u): %s", p->a,
			      strerror(-rc));
	}
	p->b = rc;
	/* Xen marks the new local port pending: exactly one event on b. */
	rc = xv_read(fdb, ev, 8, 5000);
	if (rc != 1 || ev[0] != p->b)
		return xv_why(why, len,
			      "bind of b=%u (a=%u): %d initial events read (first %u), want exactly 1 on b",
			      p->b, p->a, rc, rc > 0 ? ev[0] : 0);
	rc = xv_read(fdb, ev, 8, 0);
	if (rc == 0 && fda != fdb)
		rc = xv_read(fda, ev, 8, 0);
	if (rc != 0)
		return xv_why(why, len,
			      "pair a=%u b=%u: %d more events after the initial one (first %u)",
			      p->a, p->b, rc, rc > 0 ? ev[0] : 0);
	rc = xv_unmask1(fdb, p->b);
	if (rc < 0)
		return xv_why(why, len, "unmask b=%u: %s", p->b, strerror(-rc));
	return 0;
}

void xv_pair_unbind(struct xv_pair *p)
{
	xv_unbind(p->fdb, p->b);
	xv_unbind(p->fda, p->a);
}

/* ---- IRQs, CPUs, time ------------------------------------------------ */

int xv_one_event_on(struct xv_pair *p, int irq, int cpu, const char *what,
		    char *why, size_t len)
{
	unsigned long c0[XV_MAX_CPUS] = { 0 }, c1[XV_MAX_CPUS] = { 0 };
	int n0 = xv_irq_cpu_counts(irq, c0, XV_MAX_CPUS), n1, rc, got = 0;
	unsigned int ev[8];

	rc = xv_notify(p->fda, p->a);
	if (rc)
		return xv_why(why, len, "%s: notify: %s", what, strerror(-rc));
	rc = xv_read(p->fdb, ev, 8, 5000);
	if (rc > 0)
		got += rc;
	rc = xv_read(p->fdb, ev + 1, 7, 100);
	if (rc > 0)
		got += rc;
	if (got != 1 || ev[0] != p->b)
		return xv_why(why, len, "%s: %d events (first %u), want 1 on b=%u",
			      what, got, got ? ev[0] : 0, p->b);
	n1 = xv_irq_cpu_counts(irq, c1, XV_MAX_CPUS);
	if (n0 < 2 || n1 != n0)
		return xv_why(why, len, "%s: per_cpu_count of IRQ %d unreadable", what, irq);
	for (int c = 0; c < n1; c++) {
		unsigned long d = c1[c] - c0[c];

		if (d != (c == cpu ? 1u : 0u))
			return xv_why(why, len,
				      "%s: IRQ %d handled %lu times on CPU%d, want %d (event routed to CPU%d)",
				      what, irq, d, c, c == cpu, cpu);
	}
	rc = xv_unmask1(p->fdb, p->b);
	return rc ? xv_why(why, len, "%s: unmask: %s", what, strerror(-rc)) : 0;
}

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	buf[n] = 0;
	return (int)n;
}

static int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return 0;
}

int xv_irqs_by_action(const char *action, int *irqs, int max)
{
	FILE *f = fopen("/proc/interrupts", "re");
	size_t al = strlen(action), cap = 0;
	char *l = NULL;
	int found = 0;
	ssize_t n;

	if (!f)
		return -errno;
	while ((n = getline(&l, &cap, f)) > 0) {
		char *end = l + n;
		int num;

		while (end > l && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		*end = 0;
		if (sscanf(l, " %d:", &num) != 1)
			continue;
		/* the action names close the line, separated by ", " */
		for (char *s = strstr(l, action); s; s = strstr(s + 1, action)) {
			if ((s[al] == 0 || s[al] == ',') &&
			    s > l && (s[-1] == ' ' || s[-1] == ',')) {
				if (found < max)
					irqs[found] = num;
				found++;
				break;
			}
		}
	}
	free(l);
	fclose(f);
	return found;
}

int xv_irq_by_action(const char *action)
{
	int irq, n = xv_irqs_by_action(action, &irq, 1);

	if (n < 0)
		return n;
	return n == 1 ? irq : n ? -EEXIST : -ENOENT;
}

int xv_irq_of(const char *action, char *why, size_t len)
{
	int irq = xv_irq_by_action(action);

	if (irq < 0)
		xv_why(why, len, "no single IRQ named %s in /proc/interrupts: %s",
		       action, strerror(-irq));
	return irq;
}

int xv_irq_cpu_counts(int irq, unsigned long *count, int max)
{
	char path[64], buf[512], *s;
	int n = 0, rc;

	snprintf(path, sizeof(path), "/sys/kernel/irq/%d/per_cpu_count", irq);
	rc = read_text(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	s = buf;
	while (n < max && *s) {
		char *e;

		count[n++] = strtoul(s, &e, 10);
		if (*e != ',')
			break;
		s = e + 1;
	}
	return n;
}

int xv_irq_set_affinity(int irq, int cpu)
{
	char path[64], mask[32];

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity", irq);
	snprintf(mask, sizeof(mask), "%x\n", 1u << cpu);
	return write_text(path, mask);
}

int xv_irq_effective_cpu(int irq)
{
	char path[64], buf[128];
	int rc;

	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
	rc = read_text(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (rc == 0 || buf[0] < '0' || buf[0] > '9')
		return -ENODATA;
	return atoi(buf);
}

int xv_cpu_set_online(int cpu, int online)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_text(path, online ? "1\n" : "0\n");
}

int xv_cpu_is_online(int cpu)
{
	char path[64], buf[16];
	int rc;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	rc = read_text(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	return buf[0] == '1';
}

int xv_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int xv_unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < XV_MAX_CPUS; i++)
		CPU_SET(i, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

uint64_t xv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void xv_sleep_us(unsigned long us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void xv_stats(uint64_t *v, size_t n, struct xv_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	st->min = v[0];
	st->median = v[n / 2];
	st->p99 = v[(n * 99) / 100];
	st->max = v[n - 1];
}

/* ---- ping-pong ------------------------------------------------------- */

static void pp_fail(struct xv_pp *pp, const char *fmt, ...)
	__printf(2, 3);
static void pp_fail(struct xv_pp *pp, const char *fmt, ...)
{
	va_list ap;

	if (pp->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(pp->err, sizeof(pp->err), fmt, ap);
	va_end(ap);
	pp->failed = 1;
}

/* The counts of a ping-pong, for a failure reason. */
static const char *pp_counts(struct xv_pp *pp, char *buf, size_t len)
{
	snprintf(buf, len, "sent_a=%lu recv_b=%lu sent_b=%lu recv_a=%lu wrong=%lu",
		 pp->sent_a, pp->recv_b, pp->sent_b, pp->recv_a, pp->wrong);
	return buf;
}

static void *pp_side_a(void *arg)
{
	struct xv_pp *pp = arg;
	unsigned int a = pp->pair.a, ev[16];
	char c[160];

	if (pp->cpu_a >= 0)
		xv_pin(pp->cpu_a);
	for (unsigned long i = 0; pp->rounds ? i < pp->rounds : !pp->stop; i++) {
		uint64_t t0 = xv_now_ns(), t;
		int got = 0, rc;

		if (pp->failed)
			break;
		rc = xv_notify(pp->pair.fda, a);
		if (rc < 0) {
			pp_fail(pp, "round %lu: notify a=%u: %s", i, a, strerror(-rc));
			break;
		}
		pp->sent_a++;
		while (!got && !pp->failed) {
			rc = xv_read(pp->pair.fda, ev, 16, 100);
			if (rc < 0) {
				pp_fail(pp, "round %lu: read a: %s", i, strerror(-rc));
				break;
			}
			for (int k = 0; k < rc; k++) {
				if (ev[k] == a)
					got++;
				else
					pp->wrong++;
			}
			if (!got && xv_now_ns() - t0 > (uint64_t)pp->wait_ms * 1000000)
				pp_fail(pp, "round %lu: no event on a=%u within %d ms; %s",
					i, a, pp->wait_ms, pp_counts(pp, c, sizeof(c)));
		}
		if (!got)
			break;
		pp->recv_a += got;
		if (got > 1)
			pp_fail(pp, "round %lu: %d events on a=%u for one notification",
				i, got, a);
		rc = xv_unmask1(pp->pair.fda, a);
		if (rc < 0) {
			pp_fail(pp, "round %lu: unmask a=%u: %s", i, a, strerror(-rc));
			break;
		}
		t = xv_now_ns() - t0;
		if (pp->rtt && i < pp->rtt_cap)
			pp->rtt[i] = t;
		if (t > pp->max_rtt)
			pp->max_rtt = t;
		pp->done++;
	}
	pp->a_finished = 1;
	return NULL;
}

static void *pp_side_b(void *arg)
{
	struct xv_pp *pp = arg;
	unsigned int b = pp->pair.b, ev[16];

	if (pp->cpu_b >= 0)
		xv_pin(pp->cpu_b);
	while (!pp->a_finished) {
		int rc = xv_read(pp->pair.fdb, ev, 16, 100), got = 0;

		if (rc < 0) {
			pp_fail(pp, "read b: %s", strerror(-rc));
			break;
		}
		for (int k = 0; k < rc; k++) {
			if (ev[k] == b)
				got++;
			else
				pp->wrong++;
		}
		if (!got)
			continue;
		pp->recv_b += got;
		rc = xv_unmask1(pp->pair.fdb, b);
		if (rc < 0) {
			pp_fail(pp, "unmask b=%u: %s", b, strerror(-rc));
			break;
		}
		rc = xv_notify(pp->pair.fdb, b);
		if (rc < 0) {
			pp_fail(pp, "notify b=%u: %s", b, strerror(-rc));
			break;
		}
		pp->sent_b++;
	}
	return NULL;
}

void xv_pp_progress(char *buf, size_t len, void *arg)
{
	struct xv_pp *pp = arg;
	char c[160];

	snprintf(buf, len, "ping-pong: %lu round trips; %s", pp->done,
		 pp_counts(pp, c, sizeof(c)));
}

int xv_pp_start(struct xv_pp *pp)
{
	pthread_t *t = calloc(2, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	pp->priv[0] = t;
	if (!pp->wait_ms)
		pp->wait_ms = 5000;
	xv_watch(xv_pp_progress, pp);
	rc = pthread_create(&t[1], NULL, pp_side_b, pp);
	if (rc)
		return -rc;
	rc = pthread_create(&t[0], NULL, pp_side_a, pp);
	if (rc) {
		pp->a_finished = 1;
		pthread_join(t[1], NULL);
		return -rc;
	}
	return 0;
}

int xv_pp_join(struct xv_pp *pp, char *why, size_t len)
{
	pthread_t *t = pp->priv[0];
	unsigned int ev[16];
	char c[160];
	int rc;

	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	xv_watch(NULL, NULL);
	free(t);
	/* Nothing may arrive after the last round trip completed. */
	while ((rc = xv_read(pp->pair.fda, ev, 16, 200)) > 0)
		pp->extra += rc;
	while ((rc = xv_read(pp->pair.fdb, ev, 16, 200)) > 0)
		pp->extra += rc;
	if (pp->failed)
		return xv_why(why, len, "%s", pp->err);
	if (pp->sent_a != pp->done || pp->recv_b != pp->done ||
	    pp->sent_b != pp->done || pp->recv_a != pp->done ||
	    pp->wrong || pp->extra)
		return xv_why(why, len,
			      "round trips=%lu: %s extra=%lu", pp->done,
			      pp_counts(pp, c, sizeof(c)), pp->extra);
	return 0;
}

/* ---- many pairs ------------------------------------------------------ */

int xv_bulk_init(struct xv_bulk *bk, int fda, int fdb, size_t cap)
{
	bk->fda = fda;
	bk->fdb = fdb;
	bk->n = 0;
	bk->cap = cap;
	bk->a = calloc(cap, sizeof(*bk->a));
	bk->b = calloc(cap, sizeof(*bk->b));
	return bk->a && bk->b ? 0 : -ENOMEM;
}

int xv_bulk_bind(struct xv_bulk *bk, size_t want)
{
	while (bk->n < want && bk->n < bk->cap) {
		int a, b;

		a = xv_bind_unbound(bk->fda, 0);
		if (a < 0)
			return a;
		b = xv_bind_interdomain(bk->fdb, 0, a);
		if (b < 0) {
			xv_unbind(bk->fda, a);
			return b;
		}
		bk->a[bk->n] = a;
		bk->b[bk->n] = b;
		bk->n++;
	}
	return 0;
}

static int bulk_fds(struct xv_bulk *bk, int nbk, int *fds)
{
	int n = 0;

	for (int i = 0; i < nbk; i++) {
		fds[n++] = bk[i].fda;
		if (bk[i].fdb != bk[i].fda)
			fds[n++] = bk[i].fdb;
	}
	return n;
}

/*
 * Compare the per-port counts with what each bulk expects: @want_a events
 * on every a, @want_b on every b, none anywhere else.
 */
static int bulk_check(struct xv_bulk *bk, int nbk, uint32_t *count,
		      unsigned int want_a, unsigned int want_b,
		      unsigned long got, unsigned long strays,
		      const char *what, char *why, size_t len)
{
	unsigned long missing = 0, dups = 0, total = 0, expected = 0;
	unsigned int bad_port = 0, bad_count = 0;
	int bad = 0;

	for (int k = 0; k < nbk; k++) {
		for (size_t i = 0; i < bk[k].n; i++) {
			unsigned int ports[2] = { bk[k].a[i], bk[k].b[i] };
			unsigned int want[2] = { want_a, want_b };

			for (int j = 0; j < 2; j++) {
				unsigned int c = count[ports[j]];

				total += c;
				expected += want[j];
				if (c == want[j])
					continue;
				if (c < want[j])
					missing += want[j] - c;
				else
					dups += c - want[j];
				if (!bad) {
					bad = 1;
					bad_port = ports[j];
					bad_count = c;
				}
			}
		}
	}
	if (!bad && !strays && total == got)
		return 0;
	return xv_why(why, len,
		      "%s: %lu events read, %lu expected; %lu missing, %lu duplicated, %lu on unknown ports, %lu on ports of no pair; first bad port %u got %u",
		      what, got, expected, missing, dups, strays,
		      got - total - strays, bad_port, bad_count);
}

int xv_bulk_initial(struct xv_bulk *bk, int nbk, int timeout_ms,
		    char *why, size_t len)
{
	uint32_t *count = calloc(XV_MAX_PORTS, sizeof(*count));
	unsigned long want = 0, got, strays = 0;
	int fds[16] = { 0 }, nfds = bulk_fds(bk, nbk, fds), rc;

	if (!count)
		return xv_why(why, len, "out of memory");
	for (int k = 0; k < nbk; k++)
		want += bk[k].n;
	got = xv_collect(fds, nfds, count, XV_MAX_PORTS, want, timeout_ms,
			 &strays);
	/* a short grace period to catch duplicates */
	got += xv_collect(fds, nfds, count, XV_MAX_PORTS, ~0ul, 200, &strays);
	rc = bulk_check(bk, nbk, count, 0, 1, got, strays,
			"initial events of bind_interdomain", why, len);
	for (int k = 0; !rc && k < nbk; k++) {
		int e = xv_unmask(bk[k].fdb, bk[k].b, bk[k].n);

		if (e < 0)
			rc = xv_why(why, len, "unmask: %s", strerror(-e));
	}
	free(count);
	return rc;
}

int xv_bulk_deliver(struct xv_bulk *bk, int nbk, int timeout_ms,
		    char *why, size_t len)
{
	uint32_t *count = calloc(XV_MAX_PORTS, sizeof(*count));
	unsigned long want = 0, got, strays = 0;
	int fds[16] = { 0 }, nfds = bulk_fds(bk, nbk, fds), rc = 0;

	if (!count)
		return xv_why(why, len, "out of memory");
	for (int k = 0; k < nbk; k++) {
		for (size_t i = 0; i < bk[k].n; i++) {
			int e = xv_notify(bk[k].fda, bk[k].a[i]);

			if (!e)
				e = xv_notify(bk[k].fdb, bk[k].b[i]);
			if (e) {
				rc = xv_why(why, len, "notify pair %u/%u: %s",
					    bk[k].a[i], bk[k].b[i], strerror(-e));
				goto out;
			}
		}
		want += 2 * bk[k].n;
	}
	got = xv_collect(fds, nfds, count, XV_MAX_PORTS, want, timeout_ms,
			 &strays);
	got += xv_collect(fds, nfds, count, XV_MAX_PORTS, ~0ul, 200, &strays);
	rc = bulk_check(bk, nbk, count, 1, 1, got, strays,
			"one notification on every port", why, len);
	for (int k = 0; !rc && k < nbk; k++) {
		int e = xv_unmask(bk[k].fda, bk[k].a, bk[k].n);

		if (!e)
			e = xv_unmask(bk[k].fdb, bk[k].b, bk[k].n);
		if (e < 0)
			rc = xv_why(why, len, "unmask: %s", strerror(-e));
	}
out:
	free(count);
	return rc;
}

int xv_bulk_unbind(struct xv_bulk *bk, char *why, size_t len)
{
	int rc = 0;

	for (size_t i = 0; i < bk->n; i++) {
		int e = xv_unbind(bk->fdb, bk->b[i]);

		if (!e)
			e = xv_unbind(bk->fda, bk->a[i]);
		if (e && !rc)
			rc = xv_why(why, len, "unbind pair %u/%u (%zu of %zu): %s",
				    bk->a[i], bk->b[i], i, bk->n, strerror(-e));
	}
	bk->n = 0;
	return rc;
}
