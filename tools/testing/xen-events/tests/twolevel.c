// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bitmap ABIs, 2-level and 3-level: timer first, fairness, routing
 * bits, the unmask paths.  (FIFO has queues instead: tests/fifo.c.)
 */

#define A_BITMAP	(A_2L | A_3L)

/* Rebind @port to @cpu and leave it there. */
static bool on_cpu(int port, unsigned int cpu)
{
	return port > 0 && hx_rebind(port, cpu) == 0;
}

/* This CPU's VIRQ_TIMER is served before any other port of the upcall. */
static bool test_timer_first(void)
{
	evtchn_port_t port[100];
	int timer;
	unsigned int i;

	SETUP(2);
	ASSERT_OK(hx_bind_many(HX_PEER, 100, port));
	for (i = 0; i < 100; i++)
		ASSERT_TRUE(on_cpu(port[i], 0));
	timer = hx_bind_virq(VIRQ_TIMER, 0);	/* the highest port number */
	ASSERT_GT(timer, port[99]);
	for (i = 0; i < 100; i++)
		ASSERT_OK(hx_raise(port[i]));
	ASSERT_OK(hx_raise(timer));
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 101);
	ASSERT_EQ(hx_log_port(0), timer);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(hx_log_port(i + 1), port[i]);
	return true;
}

struct storm {
	unsigned int budget;		/* raises left */
};

/* Every delivery raises the port again, while the budget lasts. */
static void storm_hook(evtchn_port_t port, void *arg)
{
	struct storm *s = arg;

	if (s->budget) {
		s->budget--;
		hx_raise(port);
	}
}

/*
 * 300 ports over five words of 64 on one CPU, every one of them firing
 * again as soon as it is served: round-robin serves them in turn, so after
 * any number of deliveries no port is more than one round behind another.
 */
static bool test_fairness_under_load(void)
{
	static struct storm s = { .budget = 300 * 50 };
	evtchn_port_t port[300];
	u32 lo = U32_MAX, hi = 0;
	unsigned int i, stuck = 0;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, 300, port));
	for (i = 0; i < 300; i++) {
		hx_set_hook(port[i], storm_hook, &s);
		ASSERT_OK(hx_raise(port[i]));
	}
	while (s.budget && stuck++ < 100000)
		hx_drain();
	ASSERT_EQ(s.budget, 0);
	for (i = 0; i < 300; i++) {
		lo = min(lo, hx_port(port[i])->delivered);
		hi = max(hi, hx_port(port[i])->delivered);
	}
	ASSERT_GE(lo, 50);
	ASSERT_LE(hi - lo, 1);
	return true;
}

/*
 * One low port fires without pause; a port above it, raised once, is
 * served within one pass: the low one is not served twice before it.
 */
static bool test_no_starvation_by_low_port(void)
{
	static struct storm s = { .budget = 10000 };
	evtchn_port_t port[130];
	unsigned int i, first_high = 0;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, 130, port));
	hx_set_hook(port[0], storm_hook, &s);
	ASSERT_OK(hx_raise(port[0]));
	ASSERT_OK(hx_raise(port[129]));		/* two words of 64 up */
	hx_log_reset();
	while (s.budget)
		hx_drain();
	for (i = 0; i < hx_log_len(); i++) {
		if (hx_log_port(i) == port[129]) {
			first_high = i + 1;
			break;
		}
	}
	ASSERT_GT(first_high, 0);
	ASSERT_LE(first_high, 2);
	ASSERT_EQ(hx_port(port[129])->delivered, 1);
	return true;
}

/*
 * Bug #8: a port number used on CPU 1, closed, and given to CPU 0 must not
 * keep its routing bit on CPU 1.  Another port of the same word fires on
 * CPU 1 at the same time, so CPU 1 scans that word first.
 */
static bool test_stale_routing_after_close(void)
{
	int p, q, p2;

	SETUP(2);
	p = hx_bind_peer(1);
	q = hx_bind_peer(1);
	ASSERT_EQ(q, p + 1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_OK(hx_close(p));
	p2 = hx_bind_peer(0);
	ASSERT_EQ(p2, p);
	ASSERT_OK(hx_raise(p2));
	ASSERT_OK(hx_raise(q));
	hx_upcall(1);				/* CPU 1 first */
	ASSERT_EQ(hx_port(p2)->delivered, 0);
	hx_drain();
	ASSERT_EQ(hx_port(p2)->per_cpu[0], 1);
	ASSERT_EQ(hx_port(p2)->per_cpu[1], 0);
	ASSERT_EQ(hx_port(q)->per_cpu[1], 1);
	return true;
}

/* Xen selects every word on @cpu's vCPU: its upcall looks everywhere. */
static void select_every_word(unsigned int cpu)
{
	unsigned int vcpu = per_cpu(xen_vcpu_id, cpu), w;

	if (test_abi == HX_2L) {
		mx_evil_2l_selector(vcpu, ~0UL);
		return;
	}
	for (w = 0; w < MX_3L_W; w++)
		mx_evil_3l_l2(vcpu, w, ~(xen_ulong_t)0);
}

/* A CPU that went down and came back routes nothing it had before. */
static bool test_offline_forgets_routing(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(1);
	q = hx_bind_ipi(1);
	ASSERT_OK(hx_cpu_down(1, 0));		/* p moves to CPU 0 */
	ASSERT_FALSE(hx_port(q)->bound);	/* its IPI was closed */
	ASSERT_OK(hx_cpu_up(1));
	ASSERT_EQ(hx_bind_ipi(0), q);		/* the number, now on CPU 0 */
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(q));
	select_every_word(1);			/* CPU 1 scans every word */
	hx_upcall(1);
	ASSERT_EQ(hx_port(p)->per_cpu[1], 0);
	ASSERT_EQ(hx_port(q)->per_cpu[1], 0);
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[0], 1);
	ASSERT_EQ(hx_port(q)->per_cpu[0], 1);
	return true;
}

/* HVM: a pending port is unmasked through Xen, which injects the upcall. */
static bool test_hvm_unmask_uses_xen(void)
{
	struct hx_opts o = { .abi = test_abi, .nr_cpus = 2, .hvm = true };
	unsigned long calls;
	int p;

	ASSERT_OK(hx_setup(&o));
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	calls = mx_stats()->calls[EVTCHNOP_unmask];
	hx_unmask(p);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_unmask], calls + 1);
	ASSERT_EQ(READ_ONCE(mx_vcpu_info(0)->evtchn_upcall_pending), 1);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

/* PV: the same unmask on the port's own CPU needs no hypercall. */
static bool test_pv_unmask_local(void)
{
	unsigned long calls;
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	calls = mx_stats()->calls[EVTCHNOP_unmask];
	hx_unmask(p);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_unmask], calls);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	/* From another CPU it must go through Xen. */
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	shim_set_cpu(1);
	hx_unmask(p);
	shim_set_cpu(0);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_unmask], calls + 1);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 2);
	return true;
}

/* Broken contract (interrupts on): one warning, and the event still arrives. */
static bool test_unmask_with_irqs_on(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_FALSE(irqs_disabled());
	evtchn_ops->unmask(p);
	hx_port(p)->masked = false;
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(shim_nr_warnings(), 1);
	hx_allow_warnings();
	return true;
}

/* A port number the ABI cannot hold: one warning, nothing touched. */
static bool test_out_of_range_port(void)
{
	unsigned int n = abi_max_port(test_abi) + 1;

	SETUP(1);
	evtchn_ops->mask(n);
	evtchn_ops->set_pending(n + 7);
	evtchn_ops->bind_to_cpu(n, 0, 0);
	ASSERT_TRUE(evtchn_ops->is_masked(n));
	ASSERT_FALSE(evtchn_ops->is_pending(n + 7));
	ASSERT_EQ(shim_nr_warnings(), 1);
	ASSERT_ERR(evtchn_op_set_priority(1, 0), -EOPNOTSUPP);
	hx_allow_warnings();
	return true;
}

#define TWOLEVEL_TESTS							\
	TEST_ABI(timer_first, A_BITMAP),				\
	TEST_ABI(fairness_under_load, A_BITMAP),			\
	TEST_ABI(no_starvation_by_low_port, A_BITMAP),			\
	TEST_ABI(stale_routing_after_close, A_BITMAP),			\
	TEST_ABI(offline_forgets_routing, A_BITMAP),			\
	TEST_ABI(hvm_unmask_uses_xen, A_BITMAP),			\
	TEST_ABI(pv_unmask_local, A_BITMAP),				\
	TEST_ABI(unmask_with_irqs_on, A_BITMAP),			\
	TEST_ABI(out_of_range_port, A_BITMAP),
