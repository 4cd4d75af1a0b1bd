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

/*
 * This CPU's VIRQ_TIMER is served before any other port of the upcall,
 * also with the round-robin cursor past it; masked, it waits like any
 * port.  On 3-level the timer sits under L1 bit 1, far above the others.
 */
static bool test_timer_first(void)
{
	evtchn_port_t port[100];
	int timer, after;
	unsigned int i;

	SETUP(2);
	ASSERT_OK(hx_bind_many(HX_PEER, 100, port));
	for (i = 0; i < 100; i++)
		ASSERT_TRUE(on_cpu(port[i], 0));
	if (test_abi == HX_3L)
		ASSERT_OK(hx_bind_many(HX_IPI, 4999 - 100, NULL));
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

	/* The cursor past the timer: a port above it was served last. */
	after = hx_bind_peer(0);
	ASSERT_GT(after, timer);
	ASSERT_OK(hx_raise(after));
	hx_drain();
	ASSERT_OK(hx_raise(port[10]));
	ASSERT_OK(hx_raise(timer));
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 2);
	ASSERT_EQ(hx_log_port(0), timer);

	/* Masked, it waits. */
	hx_mask(timer);
	ASSERT_OK(hx_raise(timer));
	hx_drain();
	ASSERT_EQ(hx_port(timer)->delivered, 2);
	hx_unmask(timer);
	hx_drain();
	ASSERT_EQ(hx_port(timer)->delivered, 3);
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
 * One low port fires without pause; ports above it, raised once each, are
 * served within one pass: in its word, the next words and, on 3-level,
 * under other L2 words and L1 bits.  The low one goes at most twice
 * before any of them, and not twice before the one two words up.
 */
static bool test_no_starvation_by_low_port(void)
{
	static const evtchn_port_t quiet[] = {
		3, 63, 64, 130, 4095, 4097, 8200, 12287, 12288, 20000 };
	static struct storm s = { .budget = 10000 };
	unsigned int i, nr, loud_runs = 0, worst = 0;
	unsigned int n = test_abi == HX_3L ? 20000 : 4095;
	const evtchn_port_t loud = 1;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, n, NULL));
	hx_set_hook(loud, storm_hook, &s);
	ASSERT_OK(hx_raise(loud));
	for (nr = 0; nr < ARRAY_SIZE(quiet) && quiet[nr] <= n; nr++)
		ASSERT_OK(hx_raise(quiet[nr]));
	hx_log_reset();
	while (s.budget)
		hx_drain();
	for (i = 0; i < nr; i++)
		ASSERT_EQ(hx_port(quiet[i])->delivered, 1);
	ASSERT_EQ(hx_port(loud)->delivered, 10001);
	for (i = 0; i < hx_log_len(); i++) {
		if (hx_log_port(i) == loud) {
			loud_runs++;
			continue;
		}
		worst = max(worst, loud_runs);
		if (hx_log_port(i) == 130)
			ASSERT_LE(loud_runs, 1);
	}
	ASSERT_LE(worst, 2);
	return true;
}

/* @p, raised with @q, comes on CPU 0 only, though CPU 1 looks first. */
static bool served_on_cpu0(int p, int q)
{
	u32 q_before = hx_port(q)->per_cpu[1];

	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(q));
	hx_upcall(1);				/* CPU 1 first */
	ASSERT_EQ(hx_port(p)->delivered, 0);
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[0], 1);
	ASSERT_EQ(hx_port(p)->per_cpu[1], 0);
	ASSERT_EQ(hx_port(q)->per_cpu[1], q_before + 1);
	return true;
}

/*
 * Bug #8: a port number used on CPU 1, closed, and given to CPU 0 must not
 * keep its routing bit on CPU 1, nor an event of its first user.  Another
 * port of the same word fires on CPU 1 at the same time, so CPU 1 scans
 * that word first.  The same for an IPI of CPU 1.
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
	/* An event arrives and is still pending when the port is closed. */
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_close(p));
	ASSERT_FALSE(evtchn_ops->is_pending(p));
	ASSERT_TRUE(evtchn_ops->is_masked(p));
	p2 = hx_bind_peer(0);
	ASSERT_EQ(p2, p);
	hx_drain();
	ASSERT_EQ(hx_port(p2)->delivered, 0);
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_TRUE(served_on_cpu0(p2, q));

	ASSERT_OK(hx_close(p2));
	p = hx_bind_ipi(1);
	ASSERT_OK(hx_close(p));
	p2 = hx_bind_ipi(0);
	ASSERT_EQ(p2, p);
	return served_on_cpu0(p2, q);
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
	int p;

	ASSERT_OK(hx_setup(&o));
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_EQ(hx_unmask_counted(p, 0), 1);
	ASSERT_EQ(READ_ONCE(mx_vcpu_info(0)->evtchn_upcall_pending), 1);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

/* PV: the same unmask on the port's own CPU needs no hypercall. */
static bool test_pv_unmask_local(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_EQ(hx_unmask_counted(p, 0), 0);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	/* From another CPU it must go through Xen. */
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_EQ(hx_unmask_counted(p, 1), 1);
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

/*
 * Does the trace hold an explicit write (or full) barrier ahead of the
 * first step that unmasks @port: a bit operation clearing its bit in the
 * mask long Xen reads, or EVTCHNOP_unmask of @port (Xen clears it)?  The
 * trace is dumped when not.
 */
static bool barrier_then_unmask(evtchn_port_t port, const char *path)
{
	const unsigned long *mask = mx_mask_long(port);
	unsigned int i, n = shim_trace_len();
	unsigned int barrier_at = UINT_MAX, clear_at = UINT_MAX;

	ASSERT_TRUE(mask);
	ASSERT_EQ(shim_trace_dropped(), 0);
	for (i = 0; i < n && clear_at == UINT_MAX; i++) {
		const struct shim_trace_entry *e = shim_trace_entry(i);

		switch (e->kind) {
		case SHIM_TR_WMB:
		case SHIM_TR_FULL_MB:
			if (barrier_at == UINT_MAX)
				barrier_at = i;
			break;
		case SHIM_TR_CLEAR:
		case SHIM_TR_CHANGE:
			if (e->addr == mask && (e->mask & BIT_MASK(port)))
				clear_at = i;
			break;
		case SHIM_TR_HYPERCALL:
			if (e->mask == EVTCHNOP_unmask && e->port == port)
				clear_at = i;
			break;
		default:
			break;
		}
	}
	if (clear_at == UINT_MAX || barrier_at > clear_at) {
		hx_fail(__FILE__, __LINE__, __func__,
			"%s: port %u unmasked %s a write barrier (trace entry %d, barrier %d)",
			path, port, clear_at == UINT_MAX ? "by nothing traced, and no" :
			"before", clear_at == UINT_MAX ? -1 : (int)clear_at,
			barrier_at == UINT_MAX ? -1 : (int)barrier_at);
		shim_trace_dump(stderr);
		return false;
	}
	return true;
}

/*
 * Mask @port, raise it if @pending, unmask it from this CPU with the trace
 * on and check the order; then the event (if any) must arrive.
 */
static bool traced_unmask(evtchn_port_t port, bool pending, const char *path)
{
	u32 before = hx_port(port)->delivered;

	hx_mask(port);
	if (pending)
		ASSERT_OK(hx_raise(port));
	shim_trace_start();
	hx_unmask(port);
	shim_trace_stop();
	ASSERT_FALSE(evtchn_ops->is_masked(port));
	if (!barrier_then_unmask(port, path))
		return false;
	hx_drain();
	ASSERT_EQ(hx_port(port)->delivered, before + pending);
	return true;
}

/*
 * Bug #7 (upstream 4d3fe31b, XSA-332): what a driver stores before it
 * unmasks a port (ring data, its per-IRQ state) must be visible before
 * the port can fire and be handled on another CPU.  On weakly ordered
 * hardware only a write barrier ahead of the clearing of the mask bit
 * guarantees that; x86 never reorders the stores, so the harness checks
 * the order of the operations instead: the shim records every barrier,
 * every bit operation and every hypercall of the unmask, on every path
 * of it (local with and without a pending event, a port routed to
 * another CPU, HVM).  Only an explicit barrier counts.  A fully ordered
 * test_and_clear_bit() would order the stores as well, but only on the
 * local path, and a later change to a plain clear_bit() (what upstream
 * had) would drop it silently.
 */
static bool test_fix4d3fe31b_wmb_before_unmask(void)
{
	int here, there;

	SETUP(2);
	here = hx_bind_peer(0);
	there = hx_bind_peer(1);
	ASSERT_PORT(here);
	ASSERT_PORT(there);

	if (!traced_unmask(here, false, "PV, local, idle") ||
	    !traced_unmask(here, true, "PV, local, pending") ||
	    !traced_unmask(there, true, "PV, routed to another CPU, pending"))
		return false;

	/* The backends read the domain type at every call. */
	xen_domain_type = XEN_HVM_DOMAIN;
	if (!traced_unmask(here, false, "HVM, idle") ||
	    !traced_unmask(here, true, "HVM, pending"))
		return false;
	xen_domain_type = XEN_PV_DOMAIN;
	return true;
}

static const struct hx_test twolevel_tests[] = {
	TEST_ABI(timer_first, A_BITMAP),
	TEST_ABI(fairness_under_load, A_BITMAP),
	TEST_ABI(no_starvation_by_low_port, A_BITMAP),
	TEST_ABI(stale_routing_after_close, A_BITMAP),
	TEST_ABI(offline_forgets_routing, A_BITMAP),
	TEST_ABI(hvm_unmask_uses_xen, A_BITMAP),
	TEST_ABI(pv_unmask_local, A_BITMAP),
	TEST_ABI(unmask_with_irqs_on, A_BITMAP),
	TEST_ABI(out_of_range_port, A_BITMAP),
	TEST_ABI(fix4d3fe31b_wmb_before_unmask, A_BITMAP),
};
