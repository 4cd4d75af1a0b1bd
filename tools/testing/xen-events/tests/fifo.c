// SPDX-License-Identifier: GPL-2.0-only
/*
 * FIFO ABI: priorities, order, the unmask protocol and BUSY, the event
 * array, probing and dead CPUs.
 */

#define FW(b)	(1U << EVTCHN_FIFO_##b)

static u32 word_of(evtchn_port_t port)
{
	return __atomic_load_n(mx_fifo_word(port), __ATOMIC_SEQ_CST);
}

static void swap_ports(evtchn_port_t *a, evtchn_port_t *b)
{
	evtchn_port_t t = *a;

	*a = *b;
	*b = t;
}

/*
 * 64 ports over all 16 priorities, raised in random order while CPU 1
 * does not take its upcall: delivered by priority (0 first), and within a
 * priority in the order they were raised.
 */
static bool test_priority_then_fifo_order(void)
{
	evtchn_port_t port[64], order[64];
	unsigned int i, j, prio_of[64];
	unsigned int last_prio = 0, pos[16] = { 0 };
	evtchn_port_t raised_in[16][64];

	SETUP(2);
	ASSERT_OK(hx_bind_many(HX_PEER, 64, port));
	for (i = 0; i < 64; i++) {
		ASSERT_OK(hx_rebind(port[i], 1));
		ASSERT_OK(hx_set_priority(port[i], i % 16));
		prio_of[i] = i % 16;
		order[i] = i;
	}
	for (i = 63; i > 0; i--) {
		j = hx_rand_below(i + 1);
		swap_ports(&order[i], &order[j]);
	}
	for (i = 0; i < 64; i++) {
		unsigned int k = order[i];

		raised_in[prio_of[k]][pos[prio_of[k]]++] = port[k];
		ASSERT_OK(hx_raise(port[k]));
	}
	memset(pos, 0, sizeof(pos));
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 64);
	for (i = 0; i < 64; i++) {
		evtchn_port_t p = hx_log_port(i);
		unsigned int k;

		for (k = 0; k < 64 && port[k] != p; k++)
			;
		ASSERT_LT(k, 64);
		ASSERT_GE(prio_of[k], last_prio);	/* never a lower one first */
		last_prio = prio_of[k];
		ASSERT_EQ(p, raised_in[last_prio][pos[last_prio]++]);
		ASSERT_EQ(hx_log_cpu(i), 1);
	}
	return true;
}

struct preempt {
	evtchn_port_t urgent;
	bool done;
};

static void raise_urgent(evtchn_port_t port, void *arg)
{
	struct preempt *pr = arg;

	if (!pr->done) {
		pr->done = true;
		hx_raise(pr->urgent);
	}
}

/* An event of higher priority raised mid-upcall goes next. */
static bool test_priority_preempts_queue(void)
{
	static struct preempt pr;
	evtchn_port_t port[10];
	unsigned int i;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, 10, port));
	for (i = 0; i < 9; i++)
		ASSERT_OK(hx_set_priority(port[i], EVTCHN_FIFO_PRIORITY_MIN));
	ASSERT_OK(hx_set_priority(port[9], EVTCHN_FIFO_PRIORITY_MAX));
	pr.urgent = port[9];
	hx_set_hook(port[0], raise_urgent, &pr);
	for (i = 0; i < 9; i++)
		ASSERT_OK(hx_raise(port[i]));
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 10);
	ASSERT_EQ(hx_log_port(0), port[0]);
	ASSERT_EQ(hx_log_port(1), port[9]);
	for (i = 1; i < 9; i++)
		ASSERT_EQ(hx_log_port(i + 1), port[i]);
	return true;
}

/* 2,000 ports of one priority raised in random order: FIFO order. */
static bool test_fifo_order_long_queue(void)
{
	static evtchn_port_t port[2000], order[2000];
	unsigned int i, j;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, 2000, port));
	for (i = 0; i < 2000; i++)
		order[i] = port[i];
	for (i = 1999; i > 0; i--) {
		j = hx_rand_below(i + 1);
		swap_ports(&order[i], &order[j]);
	}
	for (i = 0; i < 2000; i++)
		ASSERT_OK(hx_raise(order[i]));
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 2000);
	for (i = 0; i < 2000; i++)
		ASSERT_EQ(hx_log_port(i), order[i]);
	return true;
}

/*
 * XSA-332 follow-up: a PENDING port is unmasked by Xen (EVTCHNOP_unmask),
 * never by clearing MASKED locally; Xen finds MASKED still set.
 */
static bool test_unmask_pending_goes_through_xen(void)
{
	unsigned long calls;
	int p;

	SETUP(2);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_OK(hx_raise(p));
	ASSERT_EQ(word_of(p), FW(PENDING) | FW(MASKED));
	calls = mx_unmask_calls(p);
	hx_unmask(p);
	ASSERT_EQ(mx_unmask_calls(p), calls + 1);
	ASSERT_EQ(mx_stats()->unmask_already_clear, 0);
	ASSERT_EQ(word_of(p) & FW(MASKED), 0);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

/* A quiet port is unmasked locally: no hypercall. */
static bool test_unmask_quiet_is_local(void)
{
	int p;

	SETUP(1);
	p = hx_bind_peer(0);
	hx_mask(p);
	ASSERT_EQ(hx_unmask_counted(p, 0), 0);
	ASSERT_EQ(word_of(p) & FW(MASKED), 0);
	return true;
}

struct busy_unmask {
	evtchn_port_t port;
	bool returned;
};

static void *unmask_thread(void *arg)
{
	struct busy_unmask *b = arg;
	unsigned long flags;

	shim_set_cpu(0);
	local_irq_save(flags);
	evtchn_ops->unmask(b->port);
	local_irq_restore(flags);
	__atomic_store_n(&b->returned, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * While Xen holds BUSY on a word, the guest must not clear MASKED itself:
 * it waits, or lets Xen do it.  Either way the unmask completes and the
 * next event is delivered.
 */
static bool test_busy_blocks_local_unmask(void)
{
	static struct busy_unmask b;
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	pthread_t t;
	int p;

	SETUP(1);
	p = hx_bind_peer(0);
	hx_mask(p);
	b.port = p;
	mx_hold_busy(p);
	ASSERT_OK(pthread_create(&t, NULL, unmask_thread, &b));
	nanosleep(&ts, NULL);
	if (!__atomic_load_n(&b.returned, __ATOMIC_SEQ_CST))
		ASSERT_TRUE(word_of(p) & FW(MASKED));	/* still waiting */
	mx_release_busy(p);
	pthread_join(t, NULL);
	hx_port(p)->masked = false;
	ASSERT_EQ(mx_stats()->cleared_under_busy, 0);
	ASSERT_EQ(word_of(p) & (FW(MASKED) | FW(BUSY)), 0);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	return true;
}

/* Xen's contended-link path (BUSY set, retried) keeps order and delivery. */
static bool test_busy_link_path(void)
{
	evtchn_port_t port[50];
	unsigned int i;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_PEER, 50, port));
	for (i = 0; i < 50; i++) {
		if (i % 2)
			mx_force_link_contention(1);
		ASSERT_OK(hx_raise(port[i]));
	}
	ASSERT_GE(mx_stats()->busy_set, 24);
	hx_log_reset();
	hx_drain();
	ASSERT_EQ(hx_log_len(), 50);
	for (i = 0; i < 50; i++)
		ASSERT_EQ(hx_log_port(i), port[i]);
	return true;
}

/* The event array grows page by page as ports are set up. */
static bool test_array_grows_on_demand(void)
{
	unsigned int pages;

	SETUP(1);
	pages = mx_fifo_pages();
	ASSERT_LE(pages, 1);
	ASSERT_OK(hx_bind_many(HX_IPI, 5000, NULL));
	ASSERT_EQ(mx_fifo_pages(), 5);		/* ports 1..5000 */
	ASSERT_EQ(evtchn_ops->nr_channels(), 5 * 1024);
	ASSERT_EQ(shim_pages_live(), 5 + 1);	/* + the control block */
	return true;
}

/* Xen refuses a page: the bind fails cleanly, a retry succeeds. */
static bool test_expand_failure_and_retry(void)
{
	unsigned long allocated;
	int p;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_IPI, 1023, NULL));
	mx_fail_op(EVTCHNOP_expand_array, -ENOMEM, 0);
	p = hx_bind_ipi(0);			/* port 1024: page 2 */
	ASSERT_ERR(p, -ENOMEM);
	ASSERT_EQ(mx_fifo_pages(), 1);
	ASSERT_EQ(shim_nr_messages(LOGLEVEL_ERR), 1);
	allocated = shim_pages_allocated();
	p = hx_bind_ipi(0);
	ASSERT_EQ(p, 1024);
	ASSERT_EQ(shim_pages_allocated(), allocated);	/* the spare page */
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	hx_allow_warnings();
	return true;
}

/* No memory for a page: -ENOMEM, and nothing half done. */
static bool test_page_alloc_failure(void)
{
	int p;

	SETUP(1);
	ASSERT_OK(hx_bind_many(HX_IPI, 1023, NULL));
	shim_fail_page_alloc(0);
	p = hx_bind_ipi(0);
	ASSERT_ERR(p, -ENOMEM);
	ASSERT_EQ(mx_ports_in_use(), 1023);
	ASSERT_EQ(hx_bind_ipi(0), 1024);
	hx_allow_warnings();
	return true;
}

/* A Xen without FIFO: the probe says -XEN_ENOSYS, 2-level works, no leak. */
static bool test_probe_falls_back(void)
{
	struct hx_opts o = { .abi = HX_FIFO, .nr_cpus = 2, .no_fifo = true };
	int p;

	ASSERT_ERR(hx_setup(&o), -XEN_ENOSYS);
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_EQ(shim_pages_live(), 0);
	p = hx_bind_peer(1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	return true;
}

/* The probe fails for lack of memory: the domain stays on 2-level. */
static bool test_probe_out_of_memory(void)
{
	struct hx_opts o = { .abi = HX_FIFO, .nr_cpus = 1 };

	shim_fail_page_alloc(1);		/* the control block */
	ASSERT_ERR(hx_setup(&o), -ENOMEM);
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_EQ(shim_pages_live(), 0);
	return true;
}

/*
 * After a resume, a CPU registers its control block again as it comes up;
 * when Xen refuses, the CPU does not come up, and a second try works.
 */
static bool test_percpu_init_failure(void)
{
	int p;

	SETUP(2);
	/* The boot CPU's registration in resume goes through, CPU 1's not. */
	mx_fail_op(EVTCHNOP_init_control, -ENOMEM, 1);
	ASSERT_ERR(hx_resume(), -ENOMEM);
	ASSERT_FALSE(cpu_online(1));
	ASSERT_OK(hx_cpu_up(1));
	p = hx_bind_peer(1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	return true;
}

/*
 * Bug #13 on FIFO, with the ports still bound to the dying CPU (an IPI
 * cannot move): the events wait on its queues, at most one warning, and
 * are delivered when it is back.
 */
static bool test_dead_cpu_keeps_bound_events(void)
{
	int ipi;

	SETUP(2);
	ipi = hx_bind_ipi(1);
	ASSERT_OK(hx_raise(ipi));
	ASSERT_OK(hx_cpu_down_keep_ports(1));
	ASSERT_LE(shim_nr_warnings(), 1);
	hx_drain();
	ASSERT_EQ(hx_port(ipi)->delivered, 0);
	ASSERT_OK(hx_cpu_up(1));
	hx_drain();
	ASSERT_EQ(hx_port(ipi)->per_cpu[1], 1);
	hx_allow_warnings();
	return true;
}

/* A closed port still queued is skipped, and its number comes back. */
static bool test_close_while_queued(void)
{
	int p, q;

	SETUP(2);
	p = hx_bind_peer(1);
	q = hx_bind_peer(1);
	ASSERT_OK(hx_raise(p));
	ASSERT_OK(hx_raise(q));
	ASSERT_OK(hx_close(p));			/* still LINKED on CPU 1 */
	hx_drain();
	ASSERT_EQ(hx_port(q)->delivered, 1);
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(word_of(p) & FW(LINKED), 0);
	ASSERT_EQ(hx_bind_peer(0), p);
	return true;
}

/* Raise each of @n ports @times times, take the upcalls, count. */
static bool each_delivers(const evtchn_port_t *port, unsigned int n,
			  unsigned int times)
{
	u32 before[8];
	unsigned int i, t;

	ASSERT_LE(n, ARRAY_SIZE(before));
	for (i = 0; i < n; i++)
		before[i] = hx_port(port[i])->delivered;
	for (i = 0; i < n; i++) {
		for (t = 0; t < times; t++) {
			ASSERT_OK(hx_raise(port[i]));
			hx_drain();
		}
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(hx_port(port[i])->delivered, before[i] + times);
	return true;
}

/* Every event raised on each of @n ports was delivered, no more. */
static bool none_lost(const evtchn_port_t *port, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(hx_port(port[i])->delivered, hx_port(port[i])->raised);
	return true;
}

/*
 * Bug #14 (2021 report: PV/PVH domU crash on resume from suspend): Xen
 * resumes the same domain, either telling the guest the suspend was
 * cancelled, or, after a toolstack's slow resume (xc_domain_resume()
 * with fast=0), telling it that it is a new domain.  In the second case
 * the core runs the backend's resume, which used to register the control
 * blocks again; Xen refuses a second EVTCHNOP_init_control for a vCPU
 * with -EINVAL, and upstream hit a BUG_ON().  Expected: no crash and no
 * error, nothing registered twice and no page added to the event array
 * again, the backend telling the core the domain was kept (so that the
 * core rebinds nothing: the ports in use at Xen are the same ones), the
 * events queued across the suspend delivered, every port delivering
 * afterwards, and CPU hotplug still working (a CPU coming up keeps its
 * control block).  A resume in a new domain at the end registers every
 * block again.
 */
static bool test_resume_in_place_no_reinit(void)
{
	struct evtchn_fifo_control_block *cb0, *cb1;
	evtchn_port_t port[4];
	unsigned long inits, expands;
	unsigned int pages, in_use, round, i;
	u32 before[4];
	int p;

	SETUP(2);
	port[0] = hx_bind_peer(0);
	port[1] = hx_bind_peer(1);
	port[2] = hx_bind_ipi(1);
	port[3] = hx_bind_virq(VIRQ_TIMER, 0);
	for (i = 0; i < 4; i++)
		ASSERT_PORT(port[i]);
	ASSERT_TRUE(each_delivers(port, 4, 3));
	ASSERT_TRUE(none_lost(port, 4));
	cb0 = mx_fifo_control_block(0);
	cb1 = mx_fifo_control_block(1);
	pages = mx_fifo_pages();
	in_use = mx_ports_in_use();

	/* Round 0: cancelled.  Round 1: same domain, told it is new. */
	for (round = 0; round < 2; round++) {
		bool told_new = round;

		/* In flight across the suspend: queued, not taken yet. */
		for (i = 0; i < 4; i++) {
			before[i] = hx_port(port[i])->delivered;
			ASSERT_OK(hx_raise(port[i]));
		}
		inits = mx_stats()->calls[EVTCHNOP_init_control];
		expands = mx_stats()->calls[EVTCHNOP_expand_array];
		ASSERT_OK(hx_resume_in_place(told_new));
		/*
		 * At most one control block offered, which Xen refuses with
		 * -EINVAL, and one look at the event array (no page added).
		 */
		ASSERT_EQ(mx_stats()->calls[EVTCHNOP_init_control],
			  inits + told_new);
		ASSERT_EQ(mx_stats()->calls[EVTCHNOP_expand_array],
			  expands + told_new);
		ASSERT_TRUE(mx_fifo_control_block(0) == cb0);
		ASSERT_TRUE(mx_fifo_control_block(1) == cb1);
		ASSERT_EQ(mx_fifo_pages(), pages);
		/* Nothing bound again: the same ports, still ours. */
		ASSERT_EQ(mx_ports_in_use(), in_use);
		for (i = 0; i < 4; i++)
			ASSERT_TRUE(hx_port(port[i])->bound);
		hx_drain();
		for (i = 0; i < 4; i++)
			ASSERT_EQ(hx_port(port[i])->delivered, before[i] + 1);
		ASSERT_TRUE(each_delivers(port, 4, 5));
		ASSERT_TRUE(none_lost(port, 4));
		ASSERT_EQ(mx_ports_in_use(), in_use);
	}
	ASSERT_TRUE(shim_log_contains("same domain"));
	ASSERT_EQ(shim_nr_warnings(), 0);

	/* CPU 1 goes (its IPI with it) and comes back. */
	ASSERT_OK(hx_cpu_down(1, 0));
	ASSERT_OK(hx_cpu_up(1));
	ASSERT_TRUE(mx_fifo_control_block(1) == cb1);
	p = hx_bind_peer(1);
	ASSERT_PORT(p);
	port[2] = p;
	ASSERT_TRUE(each_delivers(port, 4, 5));
	ASSERT_EQ(hx_port(p)->per_cpu[1], 5);

	/* A new domain after all: every vCPU registers its block again. */
	inits = mx_stats()->calls[EVTCHNOP_init_control];
	ASSERT_OK(hx_resume());
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_init_control], inits + 2);
	ASSERT_TRUE(mx_fifo_control_block(0) == cb0);
	ASSERT_TRUE(mx_fifo_control_block(1) == cb1);
	port[0] = hx_bind_peer(0);
	port[1] = hx_bind_peer(1);
	port[2] = hx_bind_ipi(1);
	port[3] = hx_bind_virq(VIRQ_TIMER, 0);
	for (i = 0; i < 4; i++)
		ASSERT_PORT(port[i]);
	return each_delivers(port, 4, 5);
}

/*
 * A resume in a new domain where Xen refuses the first control block
 * with -EINVAL for another reason (it could not map the page).  -EINVAL
 * alone does not mean "kept": Xen says the domain is not on FIFO, so the
 * backend says the FIFO ABI is lost (one warning of its own) and the core
 * carries on with 2-level, as after any loss of the ABI (tests/abi.c):
 * fresh ports deliver, and FIFO comes back on its own pages.
 */
static bool test_resume_einval_not_kept(void)
{
	static const struct abi_loss einval = {
		.host = host_refuses_control_block,
		.err = -EINVAL,
		.warnings = 2,
	};
	const char *msg;

	if (!resume_loses_abi(&einval))
		return false;
	msg = "refused (-EINVAL) but the domain is not on FIFO: taken as a new domain";
	ASSERT_TRUE(shim_log_contains(msg));
	msg = "control block of CPU 0 refused (-22, then -22): FIFO ABI lost";
	ASSERT_TRUE(shim_log_contains(msg));
	ASSERT_FALSE(shim_log_contains("same domain"));
	return true;
}

/*
 * The same -EINVAL, once: the block Xen could not take as it was is
 * offered again, cleared, and taken.  A new domain on FIFO, no loss.
 */
static bool test_resume_einval_once_new_domain(void)
{
	evtchn_port_t port;

	SETUP(2);
	for (port = 1; port <= 10; port++)
		ASSERT_EQ(hx_bind_ipi(0), port);
	ASSERT_OK(hx_resume_to(host_refuses_control_block_once));
	ASSERT_EQ(hx_abi(), HX_FIFO);
	ASSERT_EQ(mx_abi(), MX_ABI_FIFO);
	ASSERT_EQ(shim_nr_warnings(), 1);
	ASSERT_TRUE(shim_log_contains("not on FIFO: taken as a new domain"));
	ASSERT_FALSE(shim_log_contains("FIFO ABI lost"));
	ASSERT_FALSE(shim_log_contains("same domain"));
	hx_allow_warnings();
	return fresh_ports_each_once();
}

/*
 * What a previous kernel leaves at Xen when it kexecs without a soft
 * reset: FIFO set up on both vCPUs (its control blocks and one event
 * array page, in memory that is ours now), an IPI, a timer VIRQ and an
 * interdomain port bound, each with an event queued.
 */
static void *old_page[3];
static bool old_ok;

static void previous_kernel_left_fifo(void)
{
	struct evtchn_init_control ic = { .offset = 0 };
	struct evtchn_expand_array ea;
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	struct evtchn_alloc_unbound au = {
		.dom = DOMID_SELF,
		.remote_dom = MX_PEER_DOMID,
	};
	struct evtchn_send send;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < ARRAY_SIZE(old_page); i++) {
		old_page[i] = (void *)__get_free_page(GFP_KERNEL | __GFP_ZERO);
		if (!old_page[i])
			return;
	}
	for (i = 0; i < 2; i++) {
		ic.vcpu = i;
		ic.control_gfn = virt_to_gfn(old_page[i]);
		rc |= HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic);
	}
	ea.array_gfn = virt_to_gfn(old_page[2]);
	rc |= HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea);
	rc |= HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi);
	rc |= HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
	rc |= HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
	rc |= mx_peer_connect(au.port);
	send.port = bi.port;
	rc |= HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
	rc |= mx_raise_virq(0, VIRQ_TIMER);
	rc |= mx_peer_send(au.port);
	old_ok = !rc && mx_ports_in_use() == 3 &&
		 mx_fifo_queue_len(0, EVTCHN_FIFO_PRIORITY_DEFAULT) == 3;
}

/* ... and the new kernel's second EVTCHNOP_init_control fails too. */
static void previous_kernel_left_fifo_refuse_again(void)
{
	previous_kernel_left_fifo();
	mx_fail_op(EVTCHNOP_init_control, -EINVAL, 1);
}

/* ... and Xen refuses EVTCHNOP_reset. */
static void previous_kernel_left_fifo_no_reset(void)
{
	previous_kernel_left_fifo();
	mx_fail_op(EVTCHNOP_reset, -EBUSY, 0);
}

/* The previous kernel's memory is reused: Xen must not map it any more. */
static bool free_old_pages(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(old_page); i++) {
		for (j = 0; j < mx_nr_vcpus(); j++)
			ASSERT_TRUE((void *)mx_fifo_control_block(j) !=
				    old_page[i]);
		for (j = 0; j < mx_fifo_pages(); j++)
			ASSERT_TRUE((void *)mx_fifo_word(j * MX_FIFO_PAGE_WORDS) !=
				    old_page[i]);
	}
	for (i = 0; i < ARRAY_SIZE(old_page); i++) {
		free_page((unsigned long)old_page[i]);
		old_page[i] = NULL;
	}
	return true;
}

/* Bind a port of each kind on both CPUs; each must deliver every event. */
static bool fresh_ports_deliver(void)
{
	evtchn_port_t port[4];
	unsigned int i;

	port[0] = hx_bind_peer(0);
	port[1] = hx_bind_peer(1);
	port[2] = hx_bind_ipi(1);
	port[3] = hx_bind_virq(VIRQ_TIMER, 0);
	for (i = 0; i < 4; i++)
		ASSERT_PORT(port[i]);
	return each_delivers(port, 4, 5);
}

/*
 * Bug #15 (kexec/kdump without a soft reset): the new kernel boots with
 * FIFO already set up for its vCPUs, and EVTCHNOP_init_control answers
 * -EINVAL.  Falling back to 2-level would leave Xen on FIFO, writing into
 * the old kernel's pages and delivering nothing.  The probe warns once,
 * resets the domain (EVTCHNOP_reset closes the stale ports and returns it
 * to 2-level) and registers again: FIFO works, on our own pages only.
 */
static bool test_boot_with_fifo_already_active(void)
{
	struct hx_opts o = {
		.abi = HX_FIFO,
		.nr_cpus = 2,
		.before_probe = previous_kernel_left_fifo,
	};

	ASSERT_OK(hx_setup(&o));
	ASSERT_TRUE(old_ok);
	ASSERT_EQ(hx_abi(), HX_FIFO);
	ASSERT_EQ(mx_abi(), MX_ABI_FIFO);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_reset], 1);
	ASSERT_EQ(mx_ports_in_use(), 0);
	ASSERT_TRUE(free_old_pages());
	ASSERT_EQ(shim_nr_warnings(), 1);
	ASSERT_TRUE(shim_log_contains("FIFO ABI already set up"));
	ASSERT_TRUE(fresh_ports_deliver());
	hx_allow_warnings();
	return true;
}

/*
 * The same, but Xen refuses the control block again after the reset: the
 * probe fails and the core falls back to 2-level, which works, as the
 * reset put Xen back on 2-level too.
 */
static bool test_boot_with_fifo_already_active_retry_fails(void)
{
	struct hx_opts o = {
		.abi = HX_FIFO,
		.nr_cpus = 2,
		.before_probe = previous_kernel_left_fifo_refuse_again,
	};

	ASSERT_ERR(hx_setup(&o), -EINVAL);
	ASSERT_TRUE(old_ok);
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_reset], 1);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_init_control], 2 + 2);
	ASSERT_EQ(mx_ports_in_use(), 0);
	ASSERT_TRUE(free_old_pages());
	ASSERT_EQ(shim_nr_warnings(), 2);
	ASSERT_TRUE(shim_log_contains("refused again after EVTCHNOP_reset"));
	ASSERT_TRUE(fresh_ports_deliver());
	hx_allow_warnings();
	return true;
}

/*
 * The same, but Xen refuses the reset: the probe gives up with a clear
 * error and does not try again; nothing of the probe is left allocated.
 * The domain stays on the old kernel's FIFO at Xen, so the 2-level
 * fallback cannot get events (a limit, not checked further); the test
 * resets the domain itself to let go of the old pages.
 */
static bool test_boot_with_fifo_already_active_reset_fails(void)
{
	struct hx_opts o = {
		.abi = HX_FIFO,
		.nr_cpus = 2,
		.before_probe = previous_kernel_left_fifo_no_reset,
	};
	struct evtchn_reset reset = { .dom = DOMID_SELF };

	ASSERT_ERR(hx_setup(&o), -EBUSY);
	ASSERT_TRUE(old_ok);
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_EQ(mx_abi(), MX_ABI_FIFO);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_init_control], 2 + 1);
	ASSERT_EQ(shim_pages_live(), ARRAY_SIZE(old_page));
	ASSERT_EQ(shim_nr_warnings(), 2);
	ASSERT_TRUE(shim_log_contains("EVTCHNOP_reset failed (-16)"));
	ASSERT_OK(HYPERVISOR_event_channel_op(EVTCHNOP_reset, &reset));
	ASSERT_TRUE(free_old_pages());
	hx_allow_warnings();
	return true;
}

/* A fresh domain whose first control block Xen cannot map. */
static void control_block_unmappable(void)
{
	mx_fail_op(EVTCHNOP_init_control, -EINVAL, 0);
}

/*
 * The boot CPU's control block refused with -EINVAL, but the domain is
 * not on FIFO at Xen (the page could not be mapped): no reset, which
 * would close the toolstack's channels for nothing.  The probe returns
 * -EINVAL and the core falls back to 2-level, which works.
 */
static bool test_boot_einval_not_on_fifo(void)
{
	struct hx_opts o = {
		.abi = HX_FIFO,
		.nr_cpus = 2,
		.before_probe = control_block_unmappable,
	};
	evtchn_port_t p;

	ASSERT_ERR(hx_setup(&o), -EINVAL);
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_reset], 0);
	ASSERT_EQ(mx_stats()->calls[EVTCHNOP_expand_array], 1);
	ASSERT_EQ(shim_pages_live(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	p = hx_bind_peer(1);
	ASSERT_PORT(p);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	return true;
}

static const struct hx_test fifo_tests[] = {
	TEST_ABI(priority_then_fifo_order, A_FIFO),
	TEST_ABI(priority_preempts_queue, A_FIFO),
	TEST_ABI(fifo_order_long_queue, A_FIFO),
	TEST_ABI(unmask_pending_goes_through_xen, A_FIFO),
	TEST_ABI(unmask_quiet_is_local, A_FIFO),
	TEST_ABI(busy_blocks_local_unmask, A_FIFO),
	TEST_ABI(busy_link_path, A_FIFO),
	TEST_ABI(array_grows_on_demand, A_FIFO),
	TEST_ABI(expand_failure_and_retry, A_FIFO),
	TEST_ABI(page_alloc_failure, A_FIFO),
	TEST_ABI(probe_falls_back, A_FIFO),
	TEST_ABI(probe_out_of_memory, A_FIFO),
	TEST_ABI(percpu_init_failure, A_FIFO),
	TEST_ABI(dead_cpu_keeps_bound_events, A_FIFO),
	TEST_ABI(close_while_queued, A_FIFO),
	TEST_ABI(resume_in_place_no_reinit, A_FIFO),
	TEST_ABI(resume_einval_not_kept, A_FIFO),
	TEST_ABI(resume_einval_once_new_domain, A_FIFO),
	TEST_ABI(boot_einval_not_on_fifo, A_FIFO),
	TEST_ABI(boot_with_fifo_already_active, A_FIFO),
	TEST_ABI(boot_with_fifo_already_active_retry_fails, A_FIFO),
	TEST_ABI(boot_with_fifo_already_active_reset_fails, A_FIFO),
};
