// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests every ABI must pass, each run once per built backend: delivery
 * exactly once per event, masking, binding, moving, closing, CPU hotplug
 * and resume.  Single-threaded: the test thread takes each vCPU's upcall
 * in turn (hx_drain), so every count is exact.
 */

#define SETUP(nr_cpus)							\
	do {								\
		ASSERT_OK(hx_setup_abi(test_abi, (nr_cpus)));		\
		ASSERT_EQ(hx_abi(), test_abi);				\
	} while (0)

/* The highest port number an ABI can address (port 0 is never used). */
static unsigned int abi_max_port(enum hx_abi abi)
{
	switch (abi) {
	case HX_FIFO:
		return EVTCHN_FIFO_NR_CHANNELS - 1;
	case HX_3L:
		return 64 * 64 * 64 - 1;
	default:
		return EVTCHN_2L_NR_CHANNELS - 1;
	}
}

static evtchn_port_t *port_array(unsigned int n)
{
	return calloc(n ? n : 1, sizeof(evtchn_port_t));
}

/*
 * Bind @n ports to a peer domain, spread over two CPUs; raise them one at
 * a time (all of them, or 2,000 random ones for big @n) and check that
 * each raise is delivered once, to that port, on its CPU; then raise all
 * of them at once and check again.
 */
static bool delivery_once(unsigned int n, bool full)
{
	evtchn_port_t *port = port_array(n);
	unsigned int i, rounds = n <= 4096 ? n : 2000;
	u64 before;

	SETUP(2);
	ASSERT_TRUE(port);
	ASSERT_OK(hx_bind_many(HX_PEER, n, port));
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), 0);

	for (i = 0; i < rounds; i++) {
		evtchn_port_t p = n <= 4096 ? port[i] : port[hx_rand_below(n)];
		u32 had = hx_port(p)->delivered;

		before = hx_total_delivered();
		ASSERT_OK(hx_raise(p));
		hx_drain();
		ASSERT_EQ(hx_total_delivered(), before + 1);
		ASSERT_EQ(hx_port(p)->delivered, had + 1);
		ASSERT_EQ(hx_port(p)->per_cpu[hx_port(p)->cpu], had + 1);
	}

	before = hx_total_delivered();
	for (i = 0; i < n; i++)
		ASSERT_OK(hx_raise(port[i]));
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), before + n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(hx_port(port[i])->seen, hx_port(port[i])->raised);
	if (full) {
		/* Not one more: Xen has no port left for us. */
		ASSERT_EQ(evtchn_ops->max_channels(), n + 1);
		ASSERT_ERR(hx_bind_ipi(0), -ENOSPC);
		ASSERT_ERR(hx_bind_peer(1), -ENOSPC);
	}
	free(port);
	return true;
}

static bool test_delivery_1_port(void)
{
	return delivery_once(1, false);
}

static bool test_delivery_64_ports(void)
{
	return delivery_once(64, false);
}

/* 4,096 bound; on 2-level that is every port there is (port 0 excluded). */
static bool test_delivery_4096_ports(void)
{
	if (test_abi == HX_2L)
		return delivery_once(4095, true);
	return delivery_once(4096, false);
}

static bool test_delivery_max_ports(void)
{
	return delivery_once(abi_max_port(test_abi), true);
}

/* Several raises before the upcall are one delivery (edge semantics). */
static bool test_raises_coalesce(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(1);
	ASSERT_PORT(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 2);
	return true;
}

static bool test_mask_unmask(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(0);
	q = hx_bind_peer(0);
	ASSERT_PORT(p);
	ASSERT_FALSE(evtchn_ops->is_masked(p));
	hx_mask(p);
	ASSERT_TRUE(evtchn_ops->is_masked(p));
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(q));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 0);
	ASSERT_EQ(hx_port(q)->delivered, 1);
	ASSERT_TRUE(evtchn_ops->is_pending(p));
	ASSERT_OK(hx_raise(p));
	hx_unmask(p);
	ASSERT_FALSE(evtchn_ops->is_masked(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);	/* two raises, one edge */
	ASSERT_FALSE(evtchn_ops->is_pending(p));
	/* Unmasking a quiet port delivers nothing. */
	hx_mask(p);
	hx_unmask(p);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

/* Pending while masked, unmasked on the CPU it is bound to. */
static bool test_unmask_while_pending(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 0);
	hx_unmask(p);				/* this thread is CPU 0 */
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(hx_port(p)->per_cpu[0], 1);
	ASSERT_EQ(mx_stats()->unmask_already_clear, 0);
	return true;
}

/* Unmasked from a CPU the port is not bound to. */
static bool test_unmask_from_other_cpu(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(1);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	shim_set_cpu(0);
	hx_unmask(p);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	return true;
}

/* The core's retrigger: mask, set pending, unmask: one delivery. */
static bool test_retrigger(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(1);
	hx_mask(p);
	evtchn_ops->set_pending(p);
	ASSERT_TRUE(evtchn_ops->is_pending(p));
	__atomic_add_fetch(&hx_port(p)->raised, 1, __ATOMIC_SEQ_CST);
	hx_unmask(p);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	evtchn_ops->clear_pending(p);
	ASSERT_FALSE(evtchn_ops->is_pending(p));
	return true;
}

static bool test_close_and_rebind_same_number(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_OK(hx_close(p));
	q = hx_bind_peer(0);
	ASSERT_EQ(q, p);			/* Xen reuses the lowest port */
	ASSERT_EQ(hx_port(q)->delivered, 0);
	ASSERT_OK(hx_raise(q));
	hx_drain();
	ASSERT_EQ(hx_port(q)->delivered, 1);
	ASSERT_EQ(hx_port(q)->per_cpu[0], 1);
	ASSERT_EQ(hx_port(q)->per_cpu[1], 0);
	return true;
}

/* An event pending at close must not reach the port's next user. */
static bool test_close_while_pending(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(1);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_close(p));
	q = hx_bind_peer(1);
	ASSERT_EQ(q, p);
	hx_drain();
	ASSERT_EQ(hx_port(q)->delivered, 0);
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_OK(hx_raise(q));
	hx_drain();
	ASSERT_EQ(hx_port(q)->delivered, 1);
	return true;
}

static bool test_rebind_moves_delivery(void)
{
	int p, i;

	SETUP(3);
	p = hx_bind_peer(0);
	for (i = 0; i < 6; i++) {
		unsigned int cpu = (i + 1) % 3;

		ASSERT_OK(hx_rebind(p, cpu));
		ASSERT_OK(hx_raise(p));
		hx_drain();
		ASSERT_EQ(hx_port(p)->per_cpu[cpu], i / 3 + 1);
	}
	ASSERT_EQ(hx_port(p)->delivered, 6);
	return true;
}

/* An event raised before a move is delivered once, wherever. */
static bool test_rebind_with_event_pending(void)
{
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	ASSERT_OK(hx_raise(p));			/* queued for CPU 0 */
	ASSERT_OK(hx_rebind(p, 1));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 2);
	ASSERT_EQ(hx_port(p)->per_cpu[1] >= 1, 1);
	hx_allow_wrong_cpu();
	return true;
}

/* Linux CPU numbers are not Xen vCPU ids. */
static bool test_permuted_vcpu_ids(void)
{
	struct hx_opts o = { .abi = test_abi, .nr_cpus = 3, .permute_vcpus = true };
	int p[3], i;

	ASSERT_OK(hx_setup(&o));
	ASSERT_EQ(hx_abi(), test_abi);
	for (i = 0; i < 3; i++) {
		p[i] = hx_bind_peer(i);
		ASSERT_PORT(p[i]);
	}
	for (i = 0; i < 3; i++)
		ASSERT_OK(hx_raise(p[i]));
	hx_drain();
	for (i = 0; i < 3; i++)
		ASSERT_EQ(hx_port(p[i])->per_cpu[i], 1);
	return true;
}

static bool test_loopback_pair(void)
{
	evtchn_port_t a, b;

	SETUP(2);
	ASSERT_OK(hx_bind_loop(0, 1, &a, &b));
	hx_drain();
	/* Xen raises the binding end once, at bind time. */
	ASSERT_EQ(hx_port(b)->delivered, 1);
	ASSERT_EQ(hx_port(a)->delivered, 0);
	ASSERT_OK(hx_send(a));
	ASSERT_OK(hx_send(b));
	ASSERT_OK(hx_send(b));
	hx_drain();
	ASSERT_EQ(hx_port(b)->per_cpu[1], 2);
	ASSERT_EQ(hx_port(a)->per_cpu[0], 1);
	return true;
}

static bool test_ipi_and_virq(void)
{
	int ipi[2], t[2], i;

	SETUP(2);
	for (i = 0; i < 2; i++) {
		ipi[i] = hx_bind_ipi(i);
		t[i] = hx_bind_virq(VIRQ_TIMER, i);
		ASSERT_PORT(ipi[i]);
		ASSERT_PORT(t[i]);
	}
	shim_set_cpu(1);
	ASSERT_OK(hx_send(ipi[0]));		/* CPU 1 pokes CPU 0 */
	shim_set_cpu(0);
	ASSERT_OK(hx_raise(t[1]));
	ASSERT_OK(hx_raise(t[0]));
	hx_drain();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(hx_port(t[i])->per_cpu[i], 1);
		ASSERT_EQ(hx_port(ipi[i])->delivered, i == 0);
	}
	ASSERT_ERR(hx_rebind(ipi[0], 1), -EINVAL);	/* IPIs stay */
	return true;
}

/* A domU with xl's default cap: ports run out at 1023, cleanly. */
static bool test_port_exhaustion(void)
{
	struct hx_opts o = { .abi = test_abi, .nr_cpus = 2, .max_evtchn_port = 1023 };
	evtchn_port_t *port = port_array(1023);
	unsigned int i;

	ASSERT_OK(hx_setup(&o));
	ASSERT_OK(hx_bind_many(HX_PEER, 1023, port));
	ASSERT_ERR(hx_bind_peer(0), -ENOSPC);
	ASSERT_ERR(hx_bind_ipi(1), -ENOSPC);
	for (i = 0; i < 1023; i++)
		ASSERT_OK(hx_raise(port[i]));
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), 1023);
	ASSERT_OK(hx_close(port[500]));
	ASSERT_EQ(hx_bind_peer(1), port[500]);
	free(port);
	return true;
}

/* Thousands of bind/raise/close cycles: no growth, no strays. */
static bool test_bind_close_cycles(void)
{
	long pages = -1;
	unsigned int i;

	SETUP(2);
	for (i = 0; i < 5000; i++) {
		int p = hx_bind_peer(i & 1);

		ASSERT_PORT(p);
		ASSERT_OK(hx_raise(p));
		if (i % 3)
			hx_drain();
		ASSERT_OK(hx_close(p));
		if (i == 10)
			pages = shim_pages_live();
	}
	hx_drain();
	ASSERT_EQ(shim_pages_live(), pages);
	ASSERT_EQ(hx_total_stray(), 0);
	return true;
}

/* CPU 1 dies with events pending for it; they arrive on CPU 0. */
static bool test_cpu_down_hands_over(void)
{
	evtchn_port_t port[40];
	unsigned int i;
	int q;

	SETUP(2);
	for (i = 0; i < 40; i++) {
		port[i] = hx_bind_peer(1);
		ASSERT_PORT(port[i]);
		if (test_abi == HX_FIFO)
			ASSERT_OK(hx_set_priority(port[i], i % 16));
	}
	for (i = 0; i < 40; i++)
		ASSERT_OK(hx_raise(port[i]));
	/* CPU 1 never took its upcall. */
	ASSERT_OK(hx_cpu_down(1, 0));
	hx_drain();
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(hx_port(port[i])->delivered, 1);
		ASSERT_EQ(hx_port(port[i])->per_cpu[0], 1);
		if (test_abi == HX_FIFO)
			ASSERT_EQ(*mx_fifo_word(port[i]) &
				  (1U << EVTCHN_FIFO_LINKED), 0);
	}
	/* The numbers are free for reuse at once (not left LINKED). */
	ASSERT_OK(hx_close(port[0]));
	q = hx_bind_peer(0);
	ASSERT_EQ(q, port[0]);
	ASSERT_OK(hx_raise(q));
	hx_drain();
	ASSERT_EQ(hx_port(q)->delivered, 1);
	/* And the CPU comes back. */
	ASSERT_OK(hx_cpu_up(1));
	ASSERT_OK(hx_rebind(port[1], 1));
	ASSERT_OK(hx_raise(port[1]));
	hx_drain();
	ASSERT_EQ(hx_port(port[1])->per_cpu[1], 1);
	ASSERT_EQ(mx_stats()->xen_warnings, 0);	/* "already on a queue" */
	return true;
}

/* Suspend, resume as a new domain, bind again: all works, no growth. */
static bool test_resume_new_domain(void)
{
	evtchn_port_t port[3000];
	long pages;
	unsigned int i, round;
	u64 before;

	SETUP(2);
	for (round = 0; round < 3; round++) {
		ASSERT_OK(hx_bind_many(HX_PEER, 3000, port));
		ASSERT_PORT(hx_bind_virq(VIRQ_TIMER, 1));
		before = hx_total_delivered();
		for (i = 0; i < 3000; i++)
			ASSERT_OK(hx_raise(port[i]));
		hx_drain();
		ASSERT_EQ(hx_total_delivered(), before + 3000);
		pages = shim_pages_live();
		ASSERT_OK(hx_resume());
		/* The pages are reused, not allocated again. */
		ASSERT_EQ(shim_pages_live(), pages);
		ASSERT_EQ(mx_ports_in_use(), 0);
	}
	return true;
}

/* The VIRQ_DEBUG dump runs with events in every state. */
static bool test_debug_dump(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(1);
	q = hx_bind_peer(0);
	hx_mask(q);
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(q));
	ASSERT_TRUE(evtchn_ops->debug_dump);
	shim_set_echo(false);
	evtchn_ops->debug_dump();
	shim_set_echo(true);
	ASSERT_GT(shim_nr_messages(LOGLEVEL_INFO), 0);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

static const struct hx_test delivery_tests[] = {
	TEST_ABI(delivery_1_port, A_ALL),
	TEST_ABI(delivery_64_ports, A_ALL),
	TEST_ABI(delivery_4096_ports, A_ALL),
	TEST_ABI_T(delivery_max_ports, A_ALL, 120),
	TEST_ABI(raises_coalesce, A_ALL),
	TEST_ABI(mask_unmask, A_ALL),
	TEST_ABI(unmask_while_pending, A_ALL),
	TEST_ABI(unmask_from_other_cpu, A_ALL),
	TEST_ABI(retrigger, A_ALL),
	TEST_ABI(close_and_rebind_same_number, A_ALL),
	TEST_ABI(close_while_pending, A_ALL),
	TEST_ABI(rebind_moves_delivery, A_ALL),
	TEST_ABI(rebind_with_event_pending, A_ALL),
	TEST_ABI(permuted_vcpu_ids, A_ALL),
	TEST_ABI(loopback_pair, A_ALL),
	TEST_ABI(ipi_and_virq, A_ALL),
	TEST_ABI(port_exhaustion, A_ALL),
	TEST_ABI(bind_close_cycles, A_ALL),
	TEST_ABI(cpu_down_hands_over, A_ALL),
	TEST_ABI(resume_new_domain, A_ALL),
	TEST_ABI(debug_dump, A_ALL),
};
