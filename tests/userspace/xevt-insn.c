// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-insn: the exact cost of an event through /dev/xen/evtchn, what
 * xenstored and xenconsoled pay, for the instruction counter of
 * "make bench-insn" (tools/insn-count).  Not a test: it prints one line
 * and exits 0 when every event arrived, 1 otherwise.
 *
 * One loopback pair, a on one file and b on another, both IRQs and this
 * thread on CPU0, so that every event is delivered on the return of the
 * hypercall that raised it.  rounds=N times (default 2,000), each
 * bracketed by markers (XM_MARK, the bytes of XEB_MARK() of
 * drivers/xen/xen_evtchn_bench.c; user space is counted apart by its
 * addresses):
 *
 *   one event:   notify a; read b from its file; write b back (unmask)
 *   round trip:  the same, then notify b; read a; write a back
 *
 * Before the samples, the context markers say "0 idle ports, K = 0" as
 * the kernel's workloads do, so the host groups these samples apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

#define XM_MARK(tag)							\
	({								\
		__asm__ volatile("nopl 0x58450000 + %c0(%%rax)"		\
				 : : "i" (tag) : "memory");		\
	})

#define XM_T_CTX_BEGIN		0x0e00
#define XM_T_CTX_END		0x0e01
#define XM_T_BIT0		0x0e10
#define XM_T_BIT1		0x0e11
#define XM_T_EV_START		0x0160	/* before the notify */
#define XM_T_EV_DONE		0x0162	/* the port unmasked again */
#define XM_T_RT_START		0x0170
#define XM_T_RT_DONE		0x0171	/* second event read and unmasked */

/* Context: 64 bits, all zero (no idle ports, no batch). */
static void mark_ctx_zero(void)
{
	int i;

	XM_MARK(XM_T_CTX_BEGIN);
	for (i = 0; i < 64; i++)
		XM_MARK(XM_T_BIT0);
	XM_MARK(XM_T_CTX_END);
}

/* Read one event from @fd, which must be @port; then unmask it. */
static int take(int fd, unsigned int port)
{
	unsigned int got;

	if (read(fd, &got, sizeof(got)) != sizeof(got) || got != port)
		return -1;
	return write(fd, &got, sizeof(got)) == sizeof(got) ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 2000, r, bad = 0;
	struct xv_pair p;
	char why[256] = "";
	int fda, fdb, irq_a, irq_b, i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "rounds=", 7))
			rounds = strtoul(argv[i] + 7, NULL, 0);
	fda = xv_open("xevt-insn-a");
	fdb = xv_open("xevt-insn-b");
	if (fda < 0 || fdb < 0) {
		printf("xevt-insn: open /dev/xen/evtchn failed\n");
		return 1;
	}
	if (xv_pin(0) || xv_pair_bind(&p, fda, fdb, why, sizeof(why))) {
		printf("xevt-insn: pin or bind failed: %s\n", why);
		return 1;
	}
	irq_a = xv_irq_by_action("evtchn:xevt-insn-a");
	irq_b = xv_irq_by_action("evtchn:xevt-insn-b");
	if (irq_a < 0 || irq_b < 0 || xv_irq_set_affinity(irq_a, 0) ||
	    xv_irq_set_affinity(irq_b, 0)) {
		printf("xevt-insn: IRQs %d/%d not routed to CPU0\n", irq_a, irq_b);
		return 1;
	}
	mark_ctx_zero();
	for (r = 0; r < rounds; r++) {
		XM_MARK(XM_T_EV_START);
		if (xv_notify(fda, p.a) < 0)
			bad++;
		if (take(fdb, p.b))
			bad++;
		XM_MARK(XM_T_EV_DONE);

		XM_MARK(XM_T_RT_START);
		if (xv_notify(fda, p.a) < 0 || take(fdb, p.b))
			bad++;
		if (xv_notify(fdb, p.b) < 0 || take(fda, p.a))
			bad++;
		XM_MARK(XM_T_RT_DONE);
	}
	xv_pair_unbind(&p);
	printf("xevt-insn rounds=%lu events=%lu bad=%lu\n", rounds,
	       3 * rounds, bad);
	return bad ? 1 : 0;
}
