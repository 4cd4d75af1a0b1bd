// SPDX-License-Identifier: GPL-2.0
/*
 * xen3l_query: the hypervisor side of the 3-level event channel ABI
 * (Documentation/xen/evtchn-3level-abi.rst), driven from dom0 userspace
 * through /dev/xen/privcmd (IOCTL_PRIVCMD_HYPERCALL), without ever
 * switching the running dom0: every REGISTER_* call made here is one the
 * specification says must fail and change nothing.
 *
 *   xen3l_query xen=stock|patched abi=fifo|2level
 *
 * xen=stock: EVTCHNOP_3level is unknown to Xen 4.17 -> -ENOSYS.
 * xen=patched: QUERY values, error codes of bad requests, and after them
 * the domain is still on its ABI (REGISTER_L2 still says "no phase 1")
 * and still receives events (a loopback pair, events counted).
 *
 * Verdicts: "@@XEVT@@ ok <name>" / "@@XEVT@@ not ok <name> # <why>" on
 * stdout and, when /init opened the verdict channel (XEVT_CHAN_FD=9 in
 * the environment), on fd 9; the exit status is 1 when any test failed.
 * With list=1 nothing runs: "xevt-list <name>" for each verdict it would
 * give with these arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* include/uapi/xen/privcmd.h (that header needs kernel-internal ones). */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

/* include/uapi/xen/evtchn.h */
struct ioctl_evtchn_bind_interdomain {
	unsigned int remote_domain, remote_port;
};
struct ioctl_evtchn_bind_unbound_port {
	unsigned int remote_domain;
};
struct ioctl_evtchn_unbind {
	unsigned int port;
};
struct ioctl_evtchn_notify {
	unsigned int port;
};
#define IOCTL_EVTCHN_BIND_INTERDOMAIN \
	_IOC(_IOC_NONE, 'E', 1, sizeof(struct ioctl_evtchn_bind_interdomain))
#define IOCTL_EVTCHN_BIND_UNBOUND_PORT \
	_IOC(_IOC_NONE, 'E', 2, sizeof(struct ioctl_evtchn_bind_unbound_port))
#define IOCTL_EVTCHN_UNBIND \
	_IOC(_IOC_NONE, 'E', 3, sizeof(struct ioctl_evtchn_unbind))
#define IOCTL_EVTCHN_NOTIFY \
	_IOC(_IOC_NONE, 'E', 4, sizeof(struct ioctl_evtchn_notify))

/* The ABI as the specification defines it. */
#define HYPERVISOR_event_channel_op	32
#define EVTCHNOP_expand_array		12
#define EVTCHNOP_3level			32
#define EVTCHN_3L_QUERY			0
#define EVTCHN_3L_REGISTER_BITMAPS	1
#define EVTCHN_3L_REGISTER_L2		2
#define EVTCHN_3L_MAX_BITMAP_PAGES	8

struct evtchn_3level {
	uint32_t cmd;
	uint32_t vcpu;
	union {
		struct {
			uint32_t nr_channels;
			uint32_t bitmap_pages;
			uint32_t l2_bytes;
			uint32_t flags;
		} query;
		struct {
			uint32_t nr_pages;
			uint32_t pad;
			uint64_t pending_gfn[EVTCHN_3L_MAX_BITMAP_PAGES];
			uint64_t mask_gfn[EVTCHN_3L_MAX_BITMAP_PAGES];
		} bitmaps;
		struct {
			uint64_t gfn;
			uint32_t offset;
			uint32_t pad;
		} l2;
	} u;
};
_Static_assert(sizeof(struct evtchn_3level) == 144, "spec: 144 bytes");
_Static_assert(offsetof(struct evtchn_3level, u.bitmaps.mask_gfn) == 80,
	       "spec: mask_gfn at 80");
_Static_assert(offsetof(struct evtchn_3level, u.l2.offset) == 16,
	       "spec: l2.offset at 16");

/*
 * Frames no domain owns (far above any RAM QEMU gives us): Xen cannot take
 * a reference on them, so a registration naming them must fail.
 */
#define NO_SUCH_FRAME(i)	(0xffffffff00ULL + (i))

static int privcmd_fd = -1;
static unsigned int failures;
static int chan_fd = -1;

/* One verdict line, one write() each to stdout and to the channel. */
static void verdict(const char *name, int ok, const char *fmt, ...)
{
	char buf[800];
	va_list ap;
	int n;

	if (ok) {
		n = snprintf(buf, sizeof(buf), "@@XEVT@@ ok xen3l_%s", name);
	} else {
		failures++;
		n = snprintf(buf, sizeof(buf), "@@XEVT@@ not ok xen3l_%s # ", name);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			va_start(ap, fmt);
			vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
			va_end(ap);
		}
	}
	n = strlen(buf);
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fflush(stdout);
	if (write(STDOUT_FILENO, buf, n) < 0)
		n = 0;
	if (chan_fd >= 0 && n && write(chan_fd, buf, n) < 0)
		chan_fd = -1;
}

static void report(const char *fmt, ...)
{
	va_list ap;

	printf("@@XEVT@@ | xen3l_query: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* HYPERVISOR_event_channel_op(cmd, arg): 0 or -errno. */
static long evtchn_op(unsigned int cmd, void *arg)
{
	struct privcmd_hypercall h = {
		.op = HYPERVISOR_event_channel_op,
		.arg = { cmd, (uint64_t)(uintptr_t)arg },
	};
	long rc = ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &h);

	return rc < 0 ? -errno : rc;
}

static long op3l(struct evtchn_3level *op)
{
	return evtchn_op(EVTCHNOP_3level, op);
}

static void init_op(struct evtchn_3level *op, uint32_t cmd)
{
	memset(op, 0, sizeof(*op));
	op->cmd = cmd;
}

static void bad_bitmaps(struct evtchn_3level *op, uint32_t nr_pages)
{
	unsigned int i;

	init_op(op, EVTCHN_3L_REGISTER_BITMAPS);
	op->u.bitmaps.nr_pages = nr_pages;
	for (i = 0; i < EVTCHN_3L_MAX_BITMAP_PAGES; i++) {
		op->u.bitmaps.pending_gfn[i] = NO_SUCH_FRAME(i);
		op->u.bitmaps.mask_gfn[i] = NO_SUCH_FRAME(16 + i);
	}
}

/* REGISTER_L2 before phase 1: -EINVAL; also "is dom0 still unswitched?" */
static long l2_probe(void)
{
	struct evtchn_3level op;

	init_op(&op, EVTCHN_3L_REGISTER_L2);
	op.vcpu = 0;
	op.u.l2.gfn = NO_SUCH_FRAME(40);
	op.u.l2.offset = 0;
	return op3l(&op);
}

static void test_stock(void)
{
	struct evtchn_3level op;
	long rc;

	init_op(&op, EVTCHN_3L_QUERY);
	rc = op3l(&op);
	verdict("stock_query_enosys", rc == -ENOSYS,
		"QUERY on stock Xen returned %ld, want -ENOSYS (%d)", rc,
		-ENOSYS);
}

static void test_query(void)
{
	struct evtchn_3level op;
	long rc;

	init_op(&op, EVTCHN_3L_QUERY);
	memset(&op.u.query, 0xa5, sizeof(op.u.query));
	rc = op3l(&op);
	report("QUERY -> %ld: nr_channels=%u bitmap_pages=%u l2_bytes=%u flags=%u",
	       rc, op.u.query.nr_channels, op.u.query.bitmap_pages,
	       op.u.query.l2_bytes, op.u.query.flags);
	verdict("query", rc == 0 && op.u.query.nr_channels == 262144 &&
		op.u.query.bitmap_pages == 8 && op.u.query.l2_bytes == 512 &&
		op.u.query.flags == 0 && op.cmd == EVTCHN_3L_QUERY,
		"rc=%ld nr_channels=%u bitmap_pages=%u l2_bytes=%u flags=%u, want 0 262144 8 512 0",
		rc, op.u.query.nr_channels, op.u.query.bitmap_pages,
		op.u.query.l2_bytes, op.u.query.flags);
}

static void test_bad_cmd(void)
{
	static const uint32_t cmds[] = { 3, 4, 31, 0x80000000u, 0xffffffffu };
	struct evtchn_3level op;
	unsigned int i;
	long rc;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		init_op(&op, cmds[i]);
		rc = op3l(&op);
		if (rc != -EINVAL)
			break;
	}
	verdict("bad_cmd_einval", i == sizeof(cmds) / sizeof(cmds[0]),
		"cmd %#x returned %ld, want -EINVAL (%d)",
		i < sizeof(cmds) / sizeof(cmds[0]) ? cmds[i] : 0, rc, -EINVAL);
}

static void test_bad_pointer(void)
{
	long rc = evtchn_op(EVTCHNOP_3level, NULL);

	verdict("null_arg_efault", rc == -EFAULT,
		"EVTCHNOP_3level(NULL) returned %ld, want -EFAULT (%d)", rc,
		-EFAULT);
}

static void test_l2_before_phase1(void)
{
	long rc = l2_probe();

	verdict("l2_before_bitmaps_einval", rc == -EINVAL,
		"REGISTER_L2 before REGISTER_BITMAPS returned %ld, want -EINVAL (%d)",
		rc, -EINVAL);
}

/*
 * Bad REGISTER_BITMAPS arguments: -EINVAL, whatever the ABI (arguments are
 * checked before the domain's state).
 */
static void test_bitmaps_bad_args(void)
{
	static const uint32_t wrong_nr[] = { 0, 1, 7, 9, 0xffffffffu };
	struct evtchn_3level op;
	char why[160] = "";
	unsigned int i;
	long rc;

	for (i = 0; i < sizeof(wrong_nr) / sizeof(wrong_nr[0]) && !why[0]; i++) {
		bad_bitmaps(&op, wrong_nr[i]);
		rc = op3l(&op);
		if (rc != -EINVAL)
			snprintf(why, sizeof(why), "nr_pages=%u returned %ld",
				 wrong_nr[i], rc);
	}
	if (!why[0]) {
		bad_bitmaps(&op, 8);
		op.u.bitmaps.pad = 1;
		rc = op3l(&op);
		if (rc != -EINVAL)
			snprintf(why, sizeof(why), "pad=1 returned %ld", rc);
	}
	if (!why[0]) {
		bad_bitmaps(&op, 8);
		op.vcpu = 1;
		rc = op3l(&op);
		if (rc != -EINVAL)
			snprintf(why, sizeof(why), "vcpu=1 returned %ld", rc);
	}
	verdict("bitmaps_bad_args_einval", !why[0], "%s, want -EINVAL (%d)",
		why, -EINVAL);
}

/*
 * Well-formed REGISTER_BITMAPS naming frames nobody owns: on FIFO -EBUSY
 * (the state is checked before the pages), on 2-level -EINVAL (no page).
 */
static void test_bitmaps_state(const char *abi)
{
	struct evtchn_3level op;
	long want = strcmp(abi, "fifo") == 0 ? -EBUSY : -EINVAL;
	long rc;

	bad_bitmaps(&op, 8);
	rc = op3l(&op);
	verdict(strcmp(abi, "fifo") == 0 ? "bitmaps_on_fifo_ebusy" :
		"bitmaps_bad_frames_einval", rc == want,
		"REGISTER_BITMAPS (abi %s) returned %ld, want %ld", abi, rc,
		want);
}

/* The 3-level registration never happened: REGISTER_L2 still -EINVAL. */
static void test_unchanged(void)
{
	long rc = l2_probe();
	struct evtchn_3level op;
	long q;

	init_op(&op, EVTCHN_3L_QUERY);
	q = op3l(&op);
	verdict("nothing_changed", rc == -EINVAL && q == 0 &&
		op.u.query.nr_channels == 262144,
		"after the failed registrations: REGISTER_L2 %ld (want %d), QUERY %ld nr_channels %u",
		rc, -EINVAL, q, op.u.query.nr_channels);
}

/* expand_array outside FIFO: -EOPNOTSUPP, as stock. */
static void test_expand_array(const char *abi)
{
	uint64_t gfn = NO_SUCH_FRAME(50);
	long rc;

	if (strcmp(abi, "2level") != 0)
		return;
	rc = evtchn_op(EVTCHNOP_expand_array, &gfn);
	verdict("expand_array_on_2l_eopnotsupp", rc == -EOPNOTSUPP,
		"EVTCHNOP_expand_array on 2-level returned %ld, want %d", rc,
		-EOPNOTSUPP);
}

/* Wait for one event on @fd; its port, or -1 after 10 s. */
static int next_event(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned int port;

	if (poll(&p, 1, 10000) != 1)
		return -1;
	if (read(fd, &port, sizeof(port)) != sizeof(port))
		return -1;
	/* Late EOI: the port stays masked until written back. */
	if (write(fd, &port, sizeof(port)) != sizeof(port))
		return -1;
	return (int)port;
}

/*
 * Events still flow after all the failed calls: a loopback pair of dom0,
 * N notifications each way, every one received on the other end.
 */
static void test_delivery(void)
{
	struct ioctl_evtchn_bind_unbound_port ub = { .remote_domain = 0 };
	struct ioctl_evtchn_bind_interdomain bi = { .remote_domain = 0 };
	struct ioctl_evtchn_notify nt;
	struct ioctl_evtchn_unbind un;
	enum { N = 200 };
	int fd, a, b, got, sent = 0, recvd = 0, i;

	fd = open("/dev/xen/evtchn", O_RDWR);
	if (fd < 0) {
		verdict("events_still_delivered", 0, "open /dev/xen/evtchn: %s",
			strerror(errno));
		return;
	}
	a = ioctl(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &ub);
	bi.remote_port = a;
	b = a < 0 ? -1 : ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bi);
	if (a < 0 || b < 0) {
		verdict("events_still_delivered", 0, "loopback bind: %s",
			strerror(errno));
		close(fd);
		return;
	}
	/* bind_interdomain leaves the new port pending: take that one. */
	got = next_event(fd);
	for (i = 0; i < N; i++) {
		int from = i & 1 ? b : a, to = i & 1 ? a : b;

		nt.port = from;
		if (ioctl(fd, IOCTL_EVTCHN_NOTIFY, &nt) < 0)
			break;
		sent++;
		got = next_event(fd);
		if (got != to)
			break;
		recvd++;
	}
	un.port = b;
	ioctl(fd, IOCTL_EVTCHN_UNBIND, &un);
	un.port = a;
	ioctl(fd, IOCTL_EVTCHN_UNBIND, &un);
	close(fd);
	report("loopback %d <-> %d: %d sent, %d received", a, b, sent, recvd);
	verdict("events_still_delivered", sent == N && recvd == N,
		"loopback %d<->%d: %d sent, %d received, want %d (last event %d)",
		a, b, sent, recvd, N, got);
}

static const char *arg(int argc, char **argv, const char *key,
		       const char *dflt)
{
	size_t n = strlen(key);
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return dflt;
}

/* list=1: the names main() below gives verdicts for, in its order. */
static int list(const char *xen, const char *abi)
{
	static const char *const patched[] = {
		"query", "bad_cmd_einval", "null_arg_efault",
		"l2_before_bitmaps_einval", "bitmaps_bad_args_einval",
	};
	size_t i;

	if (!strcmp(xen, "stock")) {
		printf("xevt-list xen3l_stock_query_enosys\n");
		return 0;
	}
	for (i = 0; i < sizeof(patched) / sizeof(patched[0]); i++)
		printf("xevt-list xen3l_%s\n", patched[i]);
	printf("xevt-list xen3l_%s\n", strcmp(abi, "fifo") == 0 ?
	       "bitmaps_on_fifo_ebusy" : "bitmaps_bad_frames_einval");
	if (strcmp(abi, "2level") == 0)
		printf("xevt-list xen3l_expand_array_on_2l_eopnotsupp\n");
	printf("xevt-list xen3l_nothing_changed\n");
	printf("xevt-list xen3l_events_still_delivered\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *xen = arg(argc, argv, "xen", "patched");
	const char *abi = arg(argc, argv, "abi", "fifo");
	const char *chan = getenv("XEVT_CHAN_FD");

	if (!strcmp(arg(argc, argv, "list", "0"), "1"))
		return list(xen, abi);
	if (chan && !strcmp(chan, "9") && fcntl(9, F_GETFD) >= 0)
		chan_fd = 9;

	mlockall(MCL_CURRENT | MCL_FUTURE);
	privcmd_fd = open("/dev/xen/privcmd", O_RDWR);
	if (privcmd_fd < 0)
		privcmd_fd = open("/proc/xen/privcmd", O_RDWR);
	if (privcmd_fd < 0) {
		verdict("privcmd", 0, "open /dev/xen/privcmd: %s",
			strerror(errno));
		return 1;
	}

	if (!strcmp(xen, "stock")) {
		test_stock();
	} else {
		test_query();
		test_bad_cmd();
		test_bad_pointer();
		test_l2_before_phase1();
		test_bitmaps_bad_args();
		test_bitmaps_state(abi);
		test_expand_array(abi);
		test_unchanged();
		test_delivery();
	}
	return failures ? 1 : 0;
}
