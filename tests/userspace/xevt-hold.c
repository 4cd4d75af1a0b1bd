// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-hold: a counted event stream on a loopback pair of the guest's own
 * (/dev/xen/evtchn, remote domain DOMID_SELF) that runs across xl save /
 * xl restore or a migration (initramfs/tests/guest.sh starts it,
 * xl-save.sh reads its account through the guest's control port).
 *
 * Round trips: notify a, take the event on b, unmask b, notify b, take the
 * event on a, unmask a.  Every notification that returned 0 counts as
 * sent, every event read as received.  A round that cannot finish (a
 * notification refused, or no event within 3 s) ends an epoch: the pair is
 * unbound (after a resume its ports are stale: the kernel must refuse to
 * send on them and unbind them without touching anything else) and a new
 * pair bound.  Xen does not carry a domain's channels to the domain it
 * restores, so the one event in flight at the save is lost with the old
 * domain; nothing else may be.
 *
 * Usage: xevt-hold STATUS STOP.  STATUS is rewritten after every epoch
 * and every 1,000 rounds, one line per epoch:
 *   epoch E a=A b=B rounds R sent S received V end WHY
 * (end "running" for the current one).  The program ends when the file
 * STOP exists; its last STATUS line then reads "end stopped".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

#define DOMID_SELF_ 0x7FF0U
#define MAX_EPOCHS 16

struct epoch {
	unsigned int a, b;
	unsigned long rounds, sent, received;
	char end[160];
};

static struct epoch ep[MAX_EPOCHS];
static int nep;

static void status(const char *path)
{
	char tmp[256];
	FILE *f;
	int i;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (i = 0; i < nep; i++)
		fprintf(f, "epoch %d a=%u b=%u rounds %lu sent %lu received %lu end %s\n",
			i + 1, ep[i].a, ep[i].b, ep[i].rounds, ep[i].sent,
			ep[i].received, ep[i].end[0] ? ep[i].end : "running");
	fclose(f);
	rename(tmp, path);
}

/* One event on @port within 3 s, counted, then @port unmasked. */
static int take(int fd, struct epoch *e, unsigned int port)
{
	unsigned int ev[8];
	int n, rc;

	n = xv_read(fd, ev, 8, 3000);
	if (n <= 0)
		return n ? n : -ETIMEDOUT;
	e->received += n;
	if (n != 1 || ev[0] != port)
		return -EPROTO;
	rc = xv_unmask1(fd, port);
	return rc < 0 ? rc : 0;
}

/*
 * Half a round trip: notify @from, take the event on @to.  On failure
 * @e->end says which step failed and why.
 */
static int leg(int fd, struct epoch *e, unsigned int from, unsigned int to,
	       char from_name, char to_name)
{
	int rc;

	rc = xv_notify(fd, from);
	if (rc < 0) {
		snprintf(e->end, sizeof(e->end), "notify %c: %s", from_name,
			 strerror(-rc));
		return rc;
	}
	e->sent++;
	rc = take(fd, e, to);
	if (rc < 0)
		snprintf(e->end, sizeof(e->end), "event on %c: %s", to_name,
			 strerror(-rc));
	return rc;
}

static int bind_pair(int fd, struct epoch *e)
{
	unsigned int ev[8];
	int rc;

	rc = xv_bind_unbound(fd, DOMID_SELF_);
	if (rc < 0)
		return rc;
	e->a = rc;
	rc = xv_bind_interdomain(fd, DOMID_SELF_, e->a);
	if (rc < 0)
		return rc;
	e->b = rc;
	/* Xen marks the freshly bound end pending: one event on b. */
	rc = xv_read(fd, ev, 8, 3000);
	if (rc != 1 || ev[0] != e->b)
		return -EPROTO;
	return xv_unmask1(fd, e->b);
}

int main(int argc, char **argv)
{
	struct epoch *e;
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: xevt-hold STATUS STOP\n");
		return 2;
	}
	fd = xv_open("xevt-hold");
	if (fd < 0) {
		fprintf(stderr, "xevt-hold: /dev/xen/evtchn: %s\n", strerror(-fd));
		return 1;
	}
	for (nep = 1; nep <= MAX_EPOCHS; nep++) {
		e = &ep[nep - 1];
		rc = bind_pair(fd, e);
		if (rc < 0) {
			snprintf(e->end, sizeof(e->end), "bind failed: %s",
				 strerror(-rc));
			status(argv[1]);
			return 1;
		}
		status(argv[1]);
		for (;;) {
			if (access(argv[2], F_OK) == 0) {
				snprintf(e->end, sizeof(e->end), "stopped");
				status(argv[1]);
				return 0;
			}
			if (leg(fd, e, e->a, e->b, 'a', 'b') < 0 ||
			    leg(fd, e, e->b, e->a, 'b', 'a') < 0)
				break;
			if (!(++e->rounds % 1000))
				status(argv[1]);
			usleep(1000);	/* a stream, not a CPU hog */
		}
		/*
		 * Whatever ended the round, a notification now must either
		 * work or be refused, never vanish: after a resume it must be
		 * refused (-ENOTCONN).  Then unbind both ends.
		 */
		rc = xv_notify(fd, e->a);
		snprintf(e->end + strlen(e->end), sizeof(e->end) - strlen(e->end),
			 "; notify again: %s", rc ? strerror(-rc) : "ok");
		rc = xv_unbind(fd, e->a);
		rc = rc ? rc : xv_unbind(fd, e->b);
		snprintf(e->end + strlen(e->end), sizeof(e->end) - strlen(e->end),
			 "; unbind: %s", rc ? strerror(-rc) : "ok");
		status(argv[1]);
	}
	return 1;
}
