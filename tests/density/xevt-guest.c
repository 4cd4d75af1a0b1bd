// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-guest: the smallest useful 64-bit PV guest, for density tests.
 *
 * Booted by Xen's domain builder (libxenguest) from tests/density/xevt-density.
 * Its command line is "c=<channels>": dom0 has allocated ports 1..c of this
 * domain (EVTCHNOP_alloc_unbound, remote dom0) and bound each to a port of
 * its own before unpausing us.  The guest
 *   - maps shared_info, sends once on each of its ports,
 *   - then forever: blocks in SCHEDOP_poll until one of its ports is pending,
 *     clears it and sends back on it (one echo per event received).
 * Its counters live in the start_info page at XG_STATS_OFF, where dom0 reads
 * them through a foreign mapping: received, sent, failed sends.
 *
 * Upcalls stay masked all along (they are masked at entry), so the guest
 * needs no callback, no IDT and no hypercall page: a 64-bit PV kernel makes
 * hypercalls with "syscall", number in rax, arguments in rdi, rsi, rdx, r10.
 * SCHEDOP_poll with more than one port wakes on any pending port of the
 * domain and checks the ports it is given before blocking, which is why a
 * guest has at most XG_MAX_CHANNELS channels: Xen refuses larger poll sets.
 */
#include <stdint.h>

#include "xevt-guest.h"

#define HC_UPDATE_VA_MAPPING	14
#define HC_SCHED_OP		29
#define HC_EVENT_CHANNEL_OP	32
#define SCHEDOP_POLL		3
#define SCHEDOP_SHUTDOWN	2
#define SHUTDOWN_CRASH		3
#define EVTCHNOP_SEND		4
#define UVMF_INVLPG		2
#define PTE_FLAGS		0x63	/* present, rw, accessed, dirty */

/* Offsets in start_info and shared_info (x86-64 layout of xen.h). */
#define SI_SHARED_INFO		40
#define SI_CMD_LINE		128
#define SH_EVTCHN_PENDING	2048

static uint8_t shared_page[4096] __attribute__((aligned(4096)));
static uint32_t poll_ports[XG_MAX_CHANNELS];

static long hypercall3(long nr, long a1, long a2, long a3)
{
	register long rdi asm("rdi") = a1;
	register long rsi asm("rsi") = a2;
	register long rdx asm("rdx") = a3;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static long evtchn_send(uint32_t port)
{
	uint32_t arg = port;

	return hypercall3(HC_EVENT_CHANNEL_OP, EVTCHNOP_SEND, (long)&arg, 0);
}

static void crash(void)
{
	uint32_t reason = SHUTDOWN_CRASH;

	for (;;)
		hypercall3(HC_SCHED_OP, SCHEDOP_SHUTDOWN, (long)&reason, 0);
}

/* "c=<n>" anywhere on the command line; 0 if absent or malformed. */
static unsigned int parse_channels(const char *cmd)
{
	unsigned int i, n = 0;

	for (i = 0; i + 2 < 1024 && cmd[i]; i++) {
		if (cmd[i] != 'c' || cmd[i + 1] != '=' ||
		    (i && cmd[i - 1] != ' '))
			continue;
		for (i += 2; cmd[i] >= '0' && cmd[i] <= '9'; i++)
			n = n * 10 + (unsigned int)(cmd[i] - '0');
		return n;
	}
	return 0;
}

void xg_main(uint8_t *si);

void xg_main(uint8_t *si)
{
	volatile struct xg_stats *st = (void *)(si + XG_STATS_OFF);
	volatile uint64_t *pending;
	struct {
		uint64_t ports;
		uint32_t nr_ports;
		uint32_t pad;
		uint64_t timeout;
	} poll;
	uint64_t shinfo = *(uint64_t *)(si + SI_SHARED_INFO);
	unsigned int c, p;

	st->magic = 0;
	c = parse_channels((const char *)si + SI_CMD_LINE);
	if (!c || c > XG_MAX_CHANNELS)
		crash();
	if (hypercall3(HC_UPDATE_VA_MAPPING, (long)shared_page,
		       (long)(shinfo | PTE_FLAGS), UVMF_INVLPG))
		crash();
	pending = (volatile uint64_t *)(shared_page + SH_EVTCHN_PENDING);

	st->channels = c;
	st->received = 0;
	st->sent = 0;
	st->send_errors = 0;
	for (p = 1; p <= c; p++) {
		poll_ports[p - 1] = p;
		if (evtchn_send(p))
			st->send_errors++;
		else
			st->sent++;
	}
	st->magic = XG_MAGIC;

	poll.ports = (uint64_t)poll_ports;
	poll.nr_ports = c;
	poll.pad = 0;
	poll.timeout = 0;	/* no timeout: blocked until an event */
	for (;;) {
		hypercall3(HC_SCHED_OP, SCHEDOP_POLL, (long)&poll, 0);
		for (p = 1; p <= c; p++) {
			uint64_t bit = 1ULL << (p % 64);
			uint64_t old;

			if (!(pending[p / 64] & bit))
				continue;
			old = __atomic_fetch_and(&pending[p / 64], ~bit,
						 __ATOMIC_SEQ_CST);
			if (!(old & bit))
				continue;
			st->received++;
			if (evtchn_send(p))
				st->send_errors++;
			else
				st->sent++;
		}
		st->wakeups++;
	}
}
