// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: random sequences of what the core and Xen do to the
 * backends, against the model hypervisor, single-threaded so that every
 * input replays exactly.
 *
 * Byte 0 picks the ABI (odd: FIFO; else bit 1 set: 3-level; else
 * 2-level); then each operation is one byte of opcode and up to three
 * bytes of arguments.  Every input starts in a new domain (as
 * after a resume).  After the input everything is drained and the
 * harness invariants are checked; any violation aborts, which libFuzzer
 * records as a crash.  Inputs that used a hostile operation are only held
 * to "no crash, no hang, no delivery outside an upcall".
 *
 *   make fuzz [FUZZ_SECONDS=N]            (see the Makefile)
 *   xen-events-fuzz CRASH_FILE            replay one input
 */
#include <pthread.h>

#include "harness.h"

#define FZ_CPUS		3
/* Ports an input may bind: 3-level gets past L1 bit 0 (4,096 ports). */
#define FZ_MAX_PORTS	5120
#define FZ_PORTS	(hx_abi() == HX_3L ? FZ_MAX_PORTS : 2048U)

struct fz {
	const u8 *data;
	size_t len, pos;
	evtchn_port_t port[FZ_MAX_PORTS];
	unsigned int nr;
	bool tainted;
};

static u8 next_byte(struct fz *f)
{
	return f->pos < f->len ? f->data[f->pos++] : 0;
}

static unsigned int pick_cpu(struct fz *f)
{
	return next_byte(f) % FZ_CPUS;
}

/* A bound port from the list, or 0. */
static evtchn_port_t pick_port(struct fz *f, unsigned int *idx)
{
	unsigned int i;

	if (!f->nr)
		return 0;
	i = (next_byte(f) | next_byte(f) << 8) % f->nr;
	if (idx)
		*idx = i;
	return f->port[i];
}

static void add_port(struct fz *f, int port)
{
	if (port > 0 && f->nr < FZ_PORTS)
		f->port[f->nr++] = port;
}

static void drop_port(struct fz *f, unsigned int i)
{
	f->port[i] = f->port[--f->nr];
}

static void online_cpu(unsigned int cpu)
{
	if (!cpu_online(cpu))
		hx_cpu_up(cpu);
}

static void hostile(struct fz *f)
{
	unsigned int cpu = pick_cpu(f);
	u8 what = next_byte(f);
	u32 val = next_byte(f) | next_byte(f) << 8 | (u32)next_byte(f) << 16;

	f->tainted = true;
	if (hx_abi() == HX_FIFO) {
		switch (what % 5) {
		case 0:
			mx_evil_fifo_head(cpu, what / 5 % 16, val);
			break;
		case 1:
			if (f->nr)
				mx_evil_fifo_link(pick_port(f, NULL), val);
			break;
		case 2:
			mx_evil_fifo_ready(cpu, val);
			break;
		case 3:
			mx_evil_fifo_scribble(cpu, val);
			break;
		default:
			mx_evil_fifo_word_or(val % (mx_fifo_pages() * 1024 ?: 1),
					     (event_word_t)what << 24);
			break;
		}
	} else if (hx_abi() == HX_3L) {
		evtchn_port_t port = val % MX_3L_PORTS;

		switch (what % 4) {
		case 0:
			mx_evil_3l_pending(cpu, port);
			break;
		case 1:
			mx_evil_3l_l1(cpu, (xen_ulong_t)val << (what % 40));
			break;
		case 2:
			mx_evil_3l_l2(cpu, what / 4 % MX_3L_W,
				      (xen_ulong_t)val << (what % 40));
			break;
		default:
			/* Unmasked too: only the guest's routing is left. */
			mx_evil_3l_unmask(port);
			mx_evil_3l_pending(cpu, port);
			break;
		}
	} else {
		if (what & 1)
			mx_evil_2l_pending(cpu, val % EVTCHN_2L_NR_CHANNELS);
		else
			mx_evil_2l_selector(cpu, (xen_ulong_t)val << (what % 40));
	}
}

static void run_op(struct fz *f, u8 op)
{
	unsigned int i, cpu;
	evtchn_port_t p, a, b;

	switch (op % 20) {
	case 0:
		add_port(f, hx_bind_peer(pick_cpu(f)));
		break;
	case 1:
		add_port(f, hx_bind_ipi(pick_cpu(f)));
		break;
	case 2:
		cpu = pick_cpu(f);
		if (!hx_bind_loop(cpu, pick_cpu(f), &a, &b)) {
			add_port(f, a);
			add_port(f, b);
		}
		break;
	case 3:
		cpu = pick_cpu(f);
		add_port(f, hx_bind_virq(next_byte(f) & 1 ? VIRQ_TIMER : VIRQ_CONSOLE,
					 cpu));
		break;
	case 4:
		p = pick_port(f, &i);
		if (p && !hx_close(p))
			drop_port(f, i);
		break;
	case 5:
	case 6:
		p = pick_port(f, NULL);
		if (p)
			hx_raise(p);
		break;
	case 7:
		for (i = next_byte(f) % 64; i; i--) {
			p = pick_port(f, NULL);
			if (p)
				hx_raise(p);
		}
		break;
	case 8:
		p = pick_port(f, NULL);
		if (p && !hx_port(p)->masked)
			hx_mask(p);
		break;
	case 9:
		p = pick_port(f, NULL);
		shim_set_cpu(pick_cpu(f));
		if (p && hx_port(p)->masked)
			hx_unmask(p);
		shim_set_cpu(0);
		break;
	case 10:
		p = pick_port(f, NULL);
		cpu = pick_cpu(f);
		if (p && cpu_online(cpu))
			hx_rebind(p, cpu);
		break;
	case 11:
		p = pick_port(f, NULL);
		if (p)
			hx_set_priority(p, next_byte(f) % 17);
		break;
	case 12:
		cpu = pick_cpu(f);
		if (cpu_online(cpu))
			hx_upcall(cpu);
		break;
	case 13:
		hx_drain();
		break;
	case 14:
		cpu = pick_cpu(f);
		if (cpu && cpu_online(cpu)) {
			hx_cpu_down(cpu, 0);
			/* Its IPIs and VIRQs were closed. */
			for (i = 0; i < f->nr; i++)
				if (!hx_port(f->port[i])->bound)
					drop_port(f, i--);
		} else if (cpu) {
			online_cpu(cpu);
		}
		break;
	case 15:
		p = pick_port(f, NULL);
		if (p) {
			shim_set_cpu(pick_cpu(f));
			hx_send(p);
			shim_set_cpu(0);
		}
		break;
	case 16:
		/* The core's retrigger. */
		p = pick_port(f, NULL);
		if (p && !hx_port(p)->masked) {
			evtchn_ops->mask(p);
			evtchn_ops->set_pending(p);
			__atomic_add_fetch(&hx_port(p)->raised, 1, __ATOMIC_SEQ_CST);
			hx_unmask(p);
		}
		break;
	case 17:
		if (next_byte(f) < 16)
			hostile(f);
		break;
	case 18:
		/* At most 4 lost attempts: Xen still links (it tries 5 times). */
		mx_force_link_contention(next_byte(f) % 5);
		break;
	case 19:
		/*
		 * A block of ports, to grow the FIFO event array, or on
		 * 3-level to reach L1 bit 1 (up to 5,100 at once).
		 */
		i = next_byte(f);
		for (i = hx_abi() == HX_3L ? i * 20 : i % 200;
		     i && f->nr < FZ_PORTS; i--)
			add_port(f, hx_bind_peer(i % FZ_CPUS));
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hx_opts o = { .abi = HX_FIFO, .nr_cpus = FZ_CPUS };

	shim_set_echo(false);
	if (hx_setup(&o) || hx_abi() != HX_FIFO) {
		fprintf(stderr, "fuzz: cannot set up the FIFO ABI\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	static struct fz f;
	enum hx_abi abi;
	unsigned int cpu;

	if (!len)
		return 0;
	abi = data[0] & 1 ? HX_FIFO : data[0] & 2 ? HX_3L : HX_2L;
	if (!hx_abi_built(abi))
		return 0;
	memset(&f, 0, sizeof(f));
	f.data = data;
	f.len = len;
	f.pos = 1;
	if (hx_restart(abi)) {
		fprintf(stderr, "fuzz: restart on %s failed\n", hx_abi_name[abi]);
		abort();
	}
	while (f.pos < f.len)
		run_op(&f, next_byte(&f));

	/* Everything comes back up; leftover masks are lifted. */
	mx_force_link_contention(0);
	for (cpu = 1; cpu < FZ_CPUS; cpu++)
		online_cpu(cpu);
	for (cpu = 0; cpu < f.nr; cpu++)
		if (hx_port(f.port[cpu])->bound && hx_port(f.port[cpu])->masked)
			hx_unmask(f.port[cpu]);
	hx_allow_wrong_cpu();
	/* Dead-CPU hand-over of a port that cannot move warns, rightly. */
	hx_allow_warnings();
	if (f.tainted) {
		hx_allow_loss();
		hx_allow_stray();
		hx_allow_xen_warnings();
	}
	if (!hx_check_invariants()) {
		fprintf(stderr, "fuzz: invariant violated (%s, %zu bytes)\n",
			hx_abi_name[abi], len);
		abort();
	}
	return 0;
}
