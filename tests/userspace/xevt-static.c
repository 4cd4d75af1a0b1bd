// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-static: IOCTL_EVTCHN_BIND_STATIC of Linux 6.12's /dev/xen/evtchn,
 * which binds a port someone else allocated and must leave it open when
 * the binding goes (evtchn_make_refcounted(port, true) in the core).
 *
 * The ports: a loopback pair made behind the kernel's back through
 * /dev/xen/privcmd (EVTCHNOP_alloc_unbound, then EVTCHNOP_bind_interdomain
 * to it), as a toolstack or Xen itself makes a static channel.  Every
 * event is counted: a notification on one end must raise the other end
 * exactly once.  Whether a port is still open is asked of Xen
 * (EVTCHNOP_status), not of the kernel.
 *
 *   static_bind_round_trips        both ends bound static on one file,
 *                                  rounds=N (default 1,000) round trips
 *   static_unbind_leaves_port_open IOCTL_EVTCHN_UNBIND of one end and
 *                                  close() of the file: both ports are
 *                                  still connected to each other in Xen
 *   static_rebind_round_trips      the same ports bound again on a new
 *                                  file: 100 round trips
 *   static_bind_refused            an end bound twice on one file:
 *                                  -EISCONN; a port past the ABI's last:
 *                                  -EINVAL; neither changes the binding
 *                                  that works
 *   static_owner_closes            the owner closes both ports through
 *                                  privcmd: Xen reports them closed
 *
 * Linux 6.1 has no such ioctl (the test row is in tests/boot/
 * linux-6.12.table only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xevt.h"

/* include/uapi/xen/privcmd.h (that header needs kernel-internal ones). */
struct privcmd_hypercall {
	__u64 op;
	__u64 arg[5];
};

#define IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

/* include/uapi/xen/evtchn.h of 6.12 (Debian 12's libc headers are 6.1's). */
struct xs_bind {
	unsigned int port;
};

#define IOCTL_EVTCHN_BIND_STATIC \
	_IOC(_IOC_NONE, 'E', 7, sizeof(struct xs_bind))

/* Xen's public event_channel.h, as the ABI lays the arguments out. */
#define HYPERVISOR_event_channel_op	32
#define EVTCHNOP_bind_interdomain	0
#define EVTCHNOP_close			3
#define EVTCHNOP_status			5
#define EVTCHNOP_alloc_unbound		6
#define DOMID_SELF			0x7ff0u
#define EVTCHNSTAT_closed		0
#define EVTCHNSTAT_interdomain		2

struct xs_alloc_unbound {
	__u16 dom, remote_dom;
	__u32 port;
};

struct xs_bind_interdomain {
	__u16 remote_dom;
	__u32 remote_port;
	__u32 local_port;
};

struct xs_close {
	__u32 port;
};

struct xs_status {
	__u16 dom;
	__u32 port;
	__u32 status;
	__u32 vcpu;
	union {
		struct {
			__u16 dom;
			__u32 port;
		} interdomain;
		__u32 pad[2];
	} u;
};

static int privcmd = -1;
static unsigned int pa, pb;	/* the pair: pa unbound first, pb bound to it */
static long rounds;

static long evtchn_op(unsigned int cmd, void *arg)
{
	struct privcmd_hypercall h = {
		.op = HYPERVISOR_event_channel_op,
		.arg = { cmd, (uintptr_t)arg },
	};
	long rc = ioctl(privcmd, IOCTL_PRIVCMD_HYPERCALL, &h);

	return rc < 0 ? -errno : rc;
}

/* Xen's state of @port, or -errno. */
static long port_status(unsigned int port, unsigned int *peer)
{
	struct xs_status st = { .dom = DOMID_SELF, .port = port };
	long rc = evtchn_op(EVTCHNOP_status, &st);

	if (rc)
		return rc;
	if (peer)
		*peer = st.u.interdomain.port;
	return st.status;
}

static int bind_static(int fd, unsigned int port)
{
	struct xs_bind b = { .port = port };
	int rc = ioctl(fd, IOCTL_EVTCHN_BIND_STATIC, &b);

	return rc < 0 ? -errno : rc;
}

/* Both ends on @fd; the one event Xen raised when pb was bound is taken. */
static int bind_both(int fd, char *why, size_t len)
{
	unsigned int got[8];
	int rc, n;

	/* Unlike the other binds, BIND_STATIC returns 0, not the port. */
	rc = bind_static(fd, pa);
	if (rc)
		return xv_why(why, len, "BIND_STATIC %u returned %d, want 0", pa, rc);
	rc = bind_static(fd, pb);
	if (rc)
		return xv_why(why, len, "BIND_STATIC %u returned %d, want 0", pb, rc);
	/*
	 * pb was raised by EVTCHNOP_bind_interdomain, before any binding
	 * existed: the kernel may have taken that event for a port it did
	 * not know, or may deliver it now.  Anything else is wrong.
	 */
	n = xv_read(fd, got, 8, 200);
	if (n < 0 || n > 1 || (n == 1 && got[0] != pb))
		return xv_why(why, len, "after binding: %d events (first on %u), want <= 1 on %u",
			      n, n > 0 ? got[0] : 0, pb);
	if (n == 1 && xv_unmask1(fd, pb))
		return xv_why(why, len, "unmask %u failed", pb);
	return 0;
}

/* One event on @to for a notification of @from, and nothing else. */
static int one_way(int fd, unsigned int from, unsigned int to,
		   unsigned long i, char *why, size_t len)
{
	unsigned int got[8];
	int rc, n;

	rc = xv_notify(fd, from);
	if (rc)
		return xv_why(why, len, "round %lu: notify %u: %d", i, from, rc);
	n = xv_read(fd, got, 8, 5000);
	if (n != 1 || got[0] != to)
		return xv_why(why, len, "round %lu: notify %u: %d events (1st on %u), want 1 on %u",
			      i, from, n, n > 0 ? got[0] : 0, to);
	if (xv_unmask1(fd, to))
		return xv_why(why, len, "round %lu: unmask %u failed", i, to);
	return 0;
}

static int round_trips(int fd, unsigned long n, char *why, size_t len)
{
	unsigned int got[8];
	int extra;

	for (unsigned long i = 0; i < n; i++)
		if (one_way(fd, pa, pb, i, why, len) ||
		    one_way(fd, pb, pa, i, why, len))
			return -1;
	extra = xv_read(fd, got, 8, 100);
	if (extra)
		return xv_why(why, len, "%d events after %lu round trips (first on %u)",
			      extra, n, extra > 0 ? got[0] : 0);
	xv_report("%lu round trips on static ports %u <-> %u, %lu events each way",
		  n, pa, pb, n);
	return 0;
}

/* Both ports connected to each other in Xen. */
static int still_paired(const char *when, char *why, size_t len)
{
	unsigned int peer_a = 0, peer_b = 0;
	long sa = port_status(pa, &peer_a), sb = port_status(pb, &peer_b);

	if (sa != EVTCHNSTAT_interdomain || sb != EVTCHNSTAT_interdomain ||
	    peer_a != pb || peer_b != pa)
		return xv_why(why, len, "%s: %u: state %ld peer %u, %u: state %ld peer %u (want 2)",
			      when, pa, sa, peer_a, pb, sb, peer_b);
	return 0;
}

static int fd1 = -1;

static int t_bind(char *why, size_t len)
{
	struct xs_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct xs_bind_interdomain bi = { .remote_dom = DOMID_SELF };
	long rc;

	privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (privcmd < 0)
		return xv_why(why, len, "open /dev/xen/privcmd: %s", strerror(errno));
	rc = evtchn_op(EVTCHNOP_alloc_unbound, &au);
	if (rc)
		return xv_why(why, len, "EVTCHNOP_alloc_unbound: %ld", rc);
	pa = au.port;
	bi.remote_port = pa;
	rc = evtchn_op(EVTCHNOP_bind_interdomain, &bi);
	if (rc)
		return xv_why(why, len, "EVTCHNOP_bind_interdomain to %u: %ld", pa, rc);
	pb = bi.local_port;
	fd1 = xv_open("xevt-static");
	if (fd1 < 0)
		return xv_why(why, len, "open /dev/xen/evtchn: %d", fd1);
	if (bind_both(fd1, why, len))
		return -1;
	return round_trips(fd1, rounds, why, len);
}

static int t_unbind(char *why, size_t len)
{
	int rc;

	if (fd1 < 0)
		return xv_why(why, len, "no bound pair (static_bind_round_trips failed)");
	rc = xv_unbind(fd1, pa);
	if (rc)
		return xv_why(why, len, "IOCTL_EVTCHN_UNBIND %u: %d", pa, rc);
	if (still_paired("after IOCTL_EVTCHN_UNBIND of one end", why, len))
		return -1;
	close(fd1);
	fd1 = -1;
	return still_paired("after close() of the file", why, len);
}

static int t_rebind(char *why, size_t len)
{
	int fd = xv_open("xevt-static"), rc;

	if (fd < 0)
		return xv_why(why, len, "open /dev/xen/evtchn: %d", fd);
	rc = bind_both(fd, why, len) || round_trips(fd, 100, why, len) ? -1 : 0;
	close(fd);
	if (!rc)
		rc = still_paired("after close() of the second file", why, len);
	return rc;
}

static int t_refused(char *why, size_t len)
{
	int fd = xv_open("xevt-static"), rc, ret = -1;

	if (fd < 0)
		return xv_why(why, len, "open /dev/xen/evtchn: %d", fd);
	if (bind_both(fd, why, len))
		goto out;
	rc = bind_static(fd, pa);
	if (rc != -EISCONN) {
		xv_why(why, len, "second BIND_STATIC of %u on one file: %d, want -EISCONN (-%d)",
		       pa, rc, EISCONN);
		goto out;
	}
	rc = bind_static(fd, XV_MAX_PORTS);
	if (rc != -EINVAL) {
		xv_why(why, len, "BIND_STATIC of port %u (past any ABI): %d, want -EINVAL (-%d)",
		       XV_MAX_PORTS, rc, EINVAL);
		goto out;
	}
	ret = round_trips(fd, 10, why, len);
out:
	close(fd);
	return ret;
}

static int t_close(char *why, size_t len)
{
	struct xs_close ca = { .port = pa }, cb = { .port = pb };
	long rc, sa, sb;

	rc = evtchn_op(EVTCHNOP_close, &ca);
	if (!rc)
		rc = evtchn_op(EVTCHNOP_close, &cb);
	if (rc)
		return xv_why(why, len, "EVTCHNOP_close: %ld", rc);
	sa = port_status(pa, NULL);
	sb = port_status(pb, NULL);
	if (sa != EVTCHNSTAT_closed || sb != EVTCHNSTAT_closed)
		return xv_why(why, len, "after close: %u: state %ld, %u: state %ld (want 0)",
			      pa, sa, pb, sb);
	return 0;
}

int main(int argc, char **argv)
{
	xv_start("xevt-static", argc, argv);
	rounds = xv_arg_long("rounds", 1000);
	xv_run("static_bind_round_trips", 120, t_bind);
	xv_run("static_unbind_leaves_port_open", 30, t_unbind);
	xv_run("static_rebind_round_trips", 60, t_rebind);
	xv_run("static_bind_refused", 60, t_refused);
	xv_run("static_owner_closes", 30, t_close);
	return xv_finish();
}
