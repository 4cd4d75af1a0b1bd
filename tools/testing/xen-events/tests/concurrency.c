// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency: every online CPU takes its upcalls on a thread of its own
 * (hx_threads_start) while "Xen side" threads raise events and a control
 * thread moves, masks, closes and binds ports as the core would.  The
 * verdict is hx_finish()'s: after everything stopped, every unmasked bound
 * port was delivered after the last time it was raised.
 *
 * Every run is bounded by counts, never by time, and all waits have
 * timeouts, so a lost wake-up shows as a failure, not a hang.
 */

struct traffic {
	evtchn_port_t *port;
	unsigned int n;
	unsigned int raises;		/* per sender */
	bool guest_sends;		/* EVTCHNOP_send from a CPU (IPI ports) */
	unsigned int cpu;		/* for guest_sends: who sends */
	bool *stop;
	u64 seed;
};

static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *sender(void *arg)
{
	struct traffic *t = arg;
	u64 s = t->seed | 1;
	unsigned int i;

	shim_set_cpu(t->cpu);
	for (i = 0; i < t->raises; i++) {
		evtchn_port_t p = t->port[xorshift(&s) % t->n];

		if (t->stop && __atomic_load_n(t->stop, __ATOMIC_ACQUIRE))
			break;
		if (t->guest_sends)
			hx_send(p);
		else
			hx_raise(p);
		if (!(xorshift(&s) % 64))
			sched_yield();
	}
	return NULL;
}

static bool run_senders(struct traffic *t, unsigned int nr)
{
	pthread_t tid[8];
	unsigned int i;

	for (i = 0; i < nr; i++) {
		t[i].seed = hx_seed + i * 7919;
		if (pthread_create(&tid[i], NULL, sender, &t[i]))
			return false;
	}
	for (i = 0; i < nr; i++)
		pthread_join(tid[i], NULL);
	return true;
}

/* Two Xen-side threads hammer 256 ports while three vCPUs consume. */
static bool test_xen_raises_while_vcpus_consume(void)
{
	static evtchn_port_t port[256];
	struct traffic t[2];
	unsigned int i;
	u64 raised = 0;

	SETUP(3);
	ASSERT_OK(hx_bind_many(HX_PEER, 256, port));
	hx_threads_start();
	for (i = 0; i < 2; i++)
		t[i] = (struct traffic){ .port = port, .n = 256, .raises = 60000 };
	ASSERT_TRUE(run_senders(t, 2));
	ASSERT_TRUE(hx_threads_quiesce(10000));
	hx_threads_stop();
	for (i = 0; i < 256; i++) {
		raised += hx_port(port[i])->raised;
		ASSERT_EQ(hx_port(port[i])->seen, hx_port(port[i])->raised);
		ASSERT_LE(hx_port(port[i])->delivered, hx_port(port[i])->raised);
	}
	ASSERT_EQ(raised, 120000);
	ASSERT_GT(hx_total_delivered(), 256);
	return true;
}

/*
 * The same with every port of the ABI bound and the 256 busy ones spread
 * over the whole range: on 3-level they sit under every L1 bit and many
 * L2 words, on FIFO in every event array page.
 */
static bool test_xen_raises_spread_over_max_ports(void)
{
	static evtchn_port_t busy[256];
	unsigned int i, n = abi_max_port(test_abi);
	struct traffic t[2];
	u64 raised = 0;

	SETUP(3);
	ASSERT_OK(hx_bind_many(HX_PEER, n, NULL));
	for (i = 0; i < 256; i++) {
		busy[i] = 1 + (u64)i * (n - 1) / 255;
		ASSERT_TRUE(hx_port(busy[i])->bound);
	}
	ASSERT_EQ(busy[255], n);
	hx_threads_start();
	for (i = 0; i < 2; i++)
		t[i] = (struct traffic){ .port = busy, .n = 256, .raises = 30000 };
	ASSERT_TRUE(run_senders(t, 2));
	ASSERT_TRUE(hx_threads_quiesce(10000));
	hx_threads_stop();
	for (i = 0; i < 256; i++) {
		raised += hx_port(busy[i])->raised;
		ASSERT_EQ(hx_port(busy[i])->seen, hx_port(busy[i])->raised);
		ASSERT_EQ(hx_port(busy[i])->wrong_cpu, 0);
	}
	ASSERT_EQ(raised, 60000);
	return true;
}

/* vCPUs poke each other with IPIs (EVTCHNOP_send from the guest). */
static bool test_guest_ipis_between_vcpus(void)
{
	evtchn_port_t ipi[3];
	struct traffic t[3];
	unsigned int i;

	SETUP(3);
	for (i = 0; i < 3; i++) {
		int p = hx_bind_ipi(i);

		ASSERT_PORT(p);
		ipi[i] = p;
	}
	hx_threads_start();
	for (i = 0; i < 3; i++)
		t[i] = (struct traffic){ .port = ipi, .n = 3, .raises = 20000,
					 .guest_sends = true, .cpu = i };
	ASSERT_TRUE(run_senders(t, 3));
	ASSERT_TRUE(hx_threads_quiesce(10000));
	hx_threads_stop();
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(hx_port(ipi[i])->seen, hx_port(ipi[i])->raised);
		ASSERT_EQ(hx_port(ipi[i])->per_cpu[i], hx_port(ipi[i])->delivered);
	}
	return true;
}

struct control {
	evtchn_port_t *port;
	unsigned int n;
	unsigned int ops;
	unsigned int kinds;		/* CTL_* */
	bool *stop;
	u64 seed;
	int err;
};

#define CTL_REBIND	1
#define CTL_MASK	2
#define CTL_CLOSE	4

struct ctl_op {
	struct control *c;
	unsigned int what;
	unsigned int i;
	unsigned int cpu;
};

/* Runs on a vCPU thread, as the core's affinity/mask/close code would. */
static void ctl_on_cpu(void *arg)
{
	struct ctl_op *op = arg;
	evtchn_port_t p = op->c->port[op->i];
	int rc = 0;

	switch (op->what) {
	case CTL_REBIND:
		rc = hx_rebind(p, op->cpu);
		break;
	case CTL_MASK:
		if (hx_port(p)->masked)
			hx_unmask(p);
		else
			hx_mask(p);
		break;
	case CTL_CLOSE: {
		int q;

		rc = hx_close(p);
		q = hx_bind_peer(op->cpu);
		if (q < 0)
			rc = q;
		else
			op->c->port[op->i] = q;
		break;
	}
	}
	if (rc && !op->c->err)
		op->c->err = rc;
}

static void *controller(void *arg)
{
	struct control *c = arg;
	u64 s = c->seed | 1;
	unsigned int k;

	for (k = 0; k < c->ops; k++) {
		struct ctl_op op = { .c = c };
		unsigned int what;

		do {
			what = 1U << (xorshift(&s) % 3);
		} while (!(what & c->kinds));
		op.what = what;
		op.i = xorshift(&s) % c->n;
		op.cpu = xorshift(&s) % hx_nr_cpus();
		hx_call_on(xorshift(&s) % hx_nr_cpus(), ctl_on_cpu, &op);
	}
	__atomic_store_n(c->stop, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Leave every port unmasked so that hx_finish() checks all of them. */
static void unmask_all(evtchn_port_t *port, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (hx_port(port[i])->bound && hx_port(port[i])->masked)
			hx_unmask(port[i]);
}

static bool traffic_with_control(unsigned int kinds, unsigned int ops)
{
	static evtchn_port_t port[128];
	static bool stop;
	struct traffic t = { .port = port, .n = 128, .raises = 400000,
			     .stop = &stop };
	struct control c = { .port = port, .n = 128, .ops = ops,
			     .kinds = kinds, .stop = &stop, .seed = hx_seed };
	pthread_t ctl;

	SETUP(3);
	ASSERT_OK(hx_bind_many(HX_PEER, 128, port));
	hx_threads_start();
	ASSERT_OK(pthread_create(&ctl, NULL, controller, &c));
	ASSERT_TRUE(run_senders(&t, 1));
	pthread_join(ctl, NULL);
	ASSERT_OK(c.err);
	ASSERT_TRUE(hx_threads_quiesce(10000));
	hx_threads_stop();
	unmask_all(port, 128);
	/* An event in flight may land on the CPU a port just left. */
	hx_allow_wrong_cpu();
	return true;
}

static bool test_rebind_during_traffic(void)
{
	return traffic_with_control(CTL_REBIND, 3000);
}

static bool test_mask_unmask_during_traffic(void)
{
	return traffic_with_control(CTL_MASK | CTL_REBIND, 3000);
}

/* XSA-331's shape: ports closed and bound again while events fly. */
static bool test_close_during_traffic(void)
{
	if (!traffic_with_control(CTL_CLOSE | CTL_REBIND, 2000))
		return false;
	hx_allow_stray();	/* an event for a port being closed: ignored */
	return true;
}

/*
 * Thousands of short seeded scenarios with the model yielding at its
 * interleaving points: each round raises a random burst from a Xen-side
 * thread while the vCPUs consume and the test thread moves or masks a few
 * ports, then waits for quiet and checks that nothing was lost.
 */
static bool test_seeded_interleavings(void)
{
	static evtchn_port_t port[32];
	unsigned int round, rounds = 1500, i;

	SETUP(2);
	ASSERT_OK(hx_bind_many(HX_PEER, 32, port));
	hx_threads_start();
	for (round = 0; round < rounds; round++) {
		u64 seed = hx_seed ^ (round * 0x9e3779b97f4a7c15ULL);
		struct traffic t = { .port = port, .n = 32,
				     .raises = 20 + seed % 60, .seed = seed };
		pthread_t tid;
		u64 s = seed | 1;

		mx_set_chaos(150 + seed % 300, seed);
		if (test_abi == HX_FIFO && seed % 3 == 0)
			mx_force_link_contention(2);
		ASSERT_OK(pthread_create(&tid, NULL, sender, &t));
		for (i = 0; i < 4; i++) {
			struct control c = { .port = port, .n = 32 };
			struct ctl_op op = {
				.c = &c,
				.what = xorshift(&s) % 2 ? CTL_REBIND : CTL_MASK,
				.i = xorshift(&s) % 32,
				.cpu = xorshift(&s) % 2,
			};

			/* A mask is undone by the next mask op on it, or below. */
			hx_call_on(xorshift(&s) % 2, ctl_on_cpu, &op);
			ASSERT_OK(c.err);
		}
		pthread_join(tid, NULL);
		unmask_all(port, 32);
		if (!hx_threads_quiesce(10000)) {
			hx_fail(__FILE__, __LINE__, __func__,
				"round %u (seed %llu) did not quiesce", round,
				(unsigned long long)seed);
			return false;
		}
		for (i = 0; i < 32; i++) {
			struct hx_port *hp = hx_port(port[i]);

			if (hp->seen != hp->raised) {
				hx_fail(__FILE__, __LINE__, __func__,
					"round %u (seed %llu): port %u raised %llu seen %llu",
					round, (unsigned long long)seed, port[i],
					(unsigned long long)hp->raised,
					(unsigned long long)hp->seen);
				return false;
			}
		}
	}
	mx_set_chaos(0, 0);
	ASSERT_EQ(mx_stats()->cleared_under_busy, 0);
	hx_allow_wrong_cpu();
	return true;
}

static const struct hx_test concurrency_tests[] = {
	TEST_ABI(xen_raises_while_vcpus_consume, A_ALL),
	TEST_ABI(xen_raises_spread_over_max_ports, A_ALL),
	TEST_ABI(guest_ipis_between_vcpus, A_ALL),
	TEST_ABI(rebind_during_traffic, A_ALL),
	TEST_ABI(mask_unmask_during_traffic, A_ALL),
	TEST_ABI(close_during_traffic, A_ALL),
	TEST_ABI(seeded_interleavings, A_ALL),
};
