// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-switch: the run-time switch of the event channel ABI, asked for by
 * writing a key to /sys/module/xen/parameters/evtchn_abi while channels
 * are bound and events flow (drivers/xen/events/events_setup.c).
 *
 * Before the switch: @pairs loopback pairs are bound (2 ports each), of
 * which @streams run counted ping-pong round trips on their own threads
 * the whole time, and @held have an event pending on b while b is masked
 * (b fired and was not unmasked, then a was notified again).  The switch
 * must carry every binding over, lose no event of the streams and double
 * none, and deliver each held event exactly once when b is unmasked in the
 * new ABI.  A switch the kernel or Xen refuses must leave everything as it
 * was, checked the same way.
 *
 * Parameters (key=value):
 *   to=KEY        the ABI to switch to (fifo or 3level); required
 *   refuse=K:E    first a switch to K that must fail with errno E
 *   after=K:E     after the switch, one to K that must fail with errno E
 *   pairs=N       loopback pairs bound, streams and held ones included
 *                 (default 1000: 2,000 channels)
 *   streams=N     counted streams during the switch (default 16)
 *   held=N        pairs with a masked pending event across it (default 64)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

#define ABI_FILE	"/sys/module/xen/parameters/evtchn_abi"
#define MAX_STREAMS	64

static struct xv_bulk bulk, held;
static struct xv_pp pp[MAX_STREAMS];
static unsigned long nr_pairs, nr_streams, nr_held;
static int fda, fdb, fdh_a, fdh_b, bound;

/* The key of the ABI in use, as the kernel shows it. */
static int abi_now(char *buf, size_t len)
{
	int fd = open(ABI_FILE, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Ask for a switch to @key: 0, or -errno as the write(2) returned it. */
static int abi_write(const char *key)
{
	int fd = open(ABI_FILE, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, key, strlen(key)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int expect_abi(const char *key, const char *when, char *why,
		      size_t len)
{
	char now[32];
	int rc = abi_now(now, sizeof(now));

	if (rc)
		return xv_why(why, len, "%s: reading %s: %s", when, ABI_FILE,
			      strerror(-rc));
	if (strcmp(now, key))
		return xv_why(why, len, "%s: ABI in use is %s, want %s", when,
			      now, key);
	return 0;
}

/*
 * Every held pair: b already fired once and stays masked; notify a again,
 * so that b is pending and masked.  Nothing may arrive meanwhile.
 */
static int hold_events(char *why, size_t len)
{
	uint32_t *count = calloc(XV_MAX_PORTS, sizeof(*count));
	int fds[1] = { fdh_b };
	unsigned long got, strays = 0;
	int rc = 0;

	if (!count)
		return xv_why(why, len, "out of memory");
	for (size_t i = 0; i < held.n; i++) {
		int e = xv_notify(fdh_a, held.a[i]);

		if (e) {
			rc = xv_why(why, len, "notify held a %u: %s", held.a[i],
				    strerror(-e));
			goto out;
		}
	}
	/* Their first events, which leave each b masked. */
	got = xv_collect(fds, 1, count, XV_MAX_PORTS, held.n, 10000, &strays);
	if (got != held.n || strays) {
		rc = xv_why(why, len, "first events of the held pairs: %lu of %zu, %lu strays",
			    got, held.n, strays);
		goto out;
	}
	for (size_t i = 0; i < held.n; i++) {
		int e = xv_notify(fdh_a, held.a[i]);

		if (e) {
			rc = xv_why(why, len, "notify held a %u again: %s",
				    held.a[i], strerror(-e));
			goto out;
		}
	}
	got = xv_collect(fds, 1, count, XV_MAX_PORTS, ~0ul, 300, &strays);
	if (got)
		rc = xv_why(why, len, "%lu events arrived on masked held ports",
			    got);
out:
	free(count);
	return rc;
}

/* Unmask every held b: exactly one event each, then nothing more. */
static int release_held(const char *when, char *why, size_t len)
{
	uint32_t *count = calloc(XV_MAX_PORTS, sizeof(*count));
	int fds[1] = { fdh_b }, rc = 0, e;
	unsigned long got, strays = 0;

	if (!count)
		return xv_why(why, len, "out of memory");
	e = xv_unmask(fdh_b, held.b, held.n);
	if (e < 0) {
		rc = xv_why(why, len, "%s: unmask held: %s", when, strerror(-e));
		goto out;
	}
	got = xv_collect(fds, 1, count, XV_MAX_PORTS, held.n, 10000, &strays);
	got += xv_collect(fds, 1, count, XV_MAX_PORTS, ~0ul, 300, &strays);
	for (size_t i = 0; i < held.n && !rc; i++)
		if (count[held.b[i]] != 1)
			rc = xv_why(why, len, "%s: held port %u got %u events, want 1 (%lu in all for %zu ports, %lu strays)",
				    when, held.b[i], count[held.b[i]], got,
				    held.n, strays);
	if (!rc && (got != held.n || strays))
		rc = xv_why(why, len, "%s: %lu events for %zu held ports, %lu strays",
			    when, got, held.n, strays);
	/* As after bind: every b unmasked again for the next round. */
	if (!rc) {
		e = xv_unmask(fdh_b, held.b, held.n);
		if (e < 0)
			rc = xv_why(why, len, "%s: unmask held again: %s", when,
				    strerror(-e));
	}
out:
	free(count);
	return rc;
}

/* Every bound pair delivers one event each way, and nothing else. */
static int deliver_all(const char *when, char *why, size_t len)
{
	struct xv_bulk both[2] = { bulk, held };
	char sub[256];

	if (xv_bulk_deliver(both, 2, 20000, sub, sizeof(sub)))
		return xv_why(why, len, "%s: %s", when, sub);
	return 0;
}

static int streams_start(char *why, size_t len)
{
	for (unsigned long i = 0; i < nr_streams; i++) {
		char sub[256];
		int a = xv_open("xevt-switch-sa"), b = xv_open("xevt-switch-sb");
		int rc;

		if (a < 0 || b < 0)
			return xv_why(why, len, "open for stream %lu failed", i);
		pp[i] = (struct xv_pp){ .cpu_a = -1, .cpu_b = -1,
					.wait_ms = 10000 };
		if (xv_pair_bind(&pp[i].pair, a, b, sub, sizeof(sub)))
			return xv_why(why, len, "stream %lu: %s", i, sub);
		rc = xv_pp_start(&pp[i]);
		if (rc)
			return xv_why(why, len, "stream %lu: pthread_create: %s",
				      i, strerror(-rc));
	}
	return 0;
}

/* Stop every stream: each count exact, and each one kept going. */
static int streams_stop(unsigned long *before, char *why, size_t len)
{
	unsigned long total = 0;
	int rc = 0;

	for (unsigned long i = 0; i < nr_streams; i++)
		pp[i].stop = 1;
	for (unsigned long i = 0; i < nr_streams; i++) {
		char sub[320];

		if (xv_pp_join(&pp[i], sub, sizeof(sub)) && !rc)
			rc = xv_why(why, len, "stream %lu: %s", i, sub);
		if (!rc && pp[i].done <= before[i])
			rc = xv_why(why, len, "stream %lu made no round trip after the switch (%lu before, %lu in all)",
				    i, before[i], (unsigned long)pp[i].done);
		total += pp[i].done;
		xv_pair_unbind(&pp[i].pair);
		close(pp[i].pair.fda);
		close(pp[i].pair.fdb);
	}
	xv_report("%lu streams: %lu round trips, every notification and event counted",
		  nr_streams, total);
	return rc;
}

static int t_bind(char *why, size_t len)
{
	size_t rest;
	char sub[256];
	int rc;

	if (expect_abi("2level", "before", why, len))
		return -1;
	fda = xv_open("xevt-switch-a");
	fdb = xv_open("xevt-switch-b");
	fdh_a = xv_open("xevt-switch-ha");
	fdh_b = xv_open("xevt-switch-hb");
	if (fda < 0 || fdb < 0 || fdh_a < 0 || fdh_b < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	rest = nr_pairs - nr_streams - nr_held;
	if (xv_bulk_init(&bulk, fda, fdb, rest) ||
	    xv_bulk_init(&held, fdh_a, fdh_b, nr_held))
		return xv_why(why, len, "out of memory");
	rc = xv_bulk_bind(&bulk, rest);
	if (!rc)
		rc = xv_bulk_bind(&held, nr_held);
	if (rc)
		return xv_why(why, len, "bind: %s after %zu + %zu pairs",
			      strerror(-rc), bulk.n, held.n);
	{
		struct xv_bulk both[2] = { bulk, held };

		if (xv_bulk_initial(both, 2, 20000, sub, sizeof(sub)))
			return xv_why(why, len, "%s", sub);
	}
	if (streams_start(why, len))
		return -1;
	bound = 1;
	xv_report("bound %lu loopback pairs (%lu channels): %lu streams, %lu held",
		  nr_pairs, 2 * nr_pairs, nr_streams, nr_held);
	return 0;
}

/* "K:E": key K, errno E. */
static int parse_refusal(const char *arg, char *key, size_t klen, int *err)
{
	const char *colon = strchr(arg, ':');

	if (!colon || (size_t)(colon - arg) >= klen)
		return -1;
	memcpy(key, arg, colon - arg);
	key[colon - arg] = 0;
	*err = atoi(colon + 1);
	return 0;
}

static int refused(const char *arg, const char *stay, char *why, size_t len)
{
	char key[32];
	int want, rc;

	if (!bound)
		return xv_why(why, len, "nothing bound");
	if (parse_refusal(arg, key, sizeof(key), &want))
		return xv_why(why, len, "bad refusal argument %s", arg);
	rc = abi_write(key);
	if (rc != -want)
		return xv_why(why, len, "switch to %s: %d (%s), want -%d", key,
			      rc, rc ? strerror(-rc) : "done", want);
	if (expect_abi(stay, "after the refusal", why, len) ||
	    hold_events(why, len) || release_held("after the refusal", why, len) ||
	    deliver_all("after the refusal", why, len))
		return -1;
	xv_report("switch to %s refused with %d, %s kept, every channel works",
		  key, rc, stay);
	return 0;
}

static int t_refused(char *why, size_t len)
{
	return refused(xv_arg("refuse", ""), "2level", why, len);
}

static int t_after(char *why, size_t len)
{
	return refused(xv_arg("after", ""), xv_arg("to", ""), why, len);
}

static int t_switch(char *why, size_t len)
{
	unsigned long before[MAX_STREAMS];
	const char *to = xv_arg("to", "");
	uint64_t t0, t1;
	int rc;

	if (!bound)
		return xv_why(why, len, "nothing bound");
	if (hold_events(why, len))
		return -1;
	xv_sleep_us(500000);		/* the streams are running */
	t0 = xv_now_ns();
	rc = abi_write(to);
	t1 = xv_now_ns();
	for (unsigned long i = 0; i < nr_streams; i++)
		before[i] = pp[i].done;
	if (rc) {
		streams_stop(before, why, len);
		return xv_why(why, len, "switch to %s: %s", to, strerror(-rc));
	}
	xv_report("switch to %s took %.1f ms with the streams running", to,
		  (t1 - t0) / 1e6);
	if (expect_abi(to, "after the switch", why, len))
		return -1;
	xv_sleep_us(1000000);
	if (streams_stop(before, why, len))
		return -1;
	if (release_held("after the switch", why, len) ||
	    deliver_all("after the switch", why, len))
		return -1;
	/* Asking for the ABI in use is no switch at all. */
	rc = abi_write(to);
	if (rc)
		return xv_why(why, len, "switch to %s again: %s, want 0", to,
			      strerror(-rc));
	return expect_abi(to, "after asking again", why, len);
}

static int t_unbind(char *why, size_t len)
{
	char sub[256];

	if (!bound)
		return xv_why(why, len, "nothing bound");
	if (xv_bulk_unbind(&bulk, sub, sizeof(sub)) ||
	    xv_bulk_unbind(&held, sub, sizeof(sub)))
		return xv_why(why, len, "%s", sub);
	return 0;
}

int main(int argc, char **argv)
{
	xv_start("xevt-switch", argc, argv);
	nr_pairs = xv_arg_long("pairs", 1000);
	nr_streams = xv_arg_long("streams", 16);
	nr_held = xv_arg_long("held", 64);
	if (nr_streams > MAX_STREAMS || nr_streams + nr_held > nr_pairs) {
		fprintf(stderr, "xevt-switch: streams <= %d and streams + held <= pairs\n",
			MAX_STREAMS);
		return 2;
	}

	xv_run("switch_bind", 120, t_bind);
	if (xv_arg("refuse", NULL))
		xv_run("switch_refused", 120, t_refused);
	xv_run("switch_live", 180, t_switch);
	if (xv_arg("after", NULL))
		xv_run("switch_refused_after", 120, t_after);
	xv_run("switch_unbind", 120, t_unbind);
	return xv_finish();
}
