// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of what only the 3-level event channel ABI has: the hypervisor
 * model's 3-level side (model.c, through the m3_* names of model_3l.h)
 * against Documentation/xen/evtchn-3level-abi.rst, and the guest backend
 * (drivers/xen/events/events_3l.c, compiled unmodified by backend_3l.c)
 * where it differs from the others: the query, the two registration
 * phases and their failures, the fallback to 2-level, the carry-over of
 * 2-level state, resume on a Xen without 3-level, fairness at three
 * levels.  The tests every ABI passes run on 3-level in xen-events-test.
 *
 *   xen-events-3l-test [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS]
 *
 * A program of its own, with its own small stand-in for the core
 * (events_base.c): "core_" below, which probes 3-level and falls back to
 * 2-level as the real core does.  It follows the core's contract in the
 * seam:
 *  - the probe tries 3-level and falls back to 2-level, then every port is
 *    masked and the other CPUs come up through percpu_init();
 *  - a new port is masked, routed (bind_to_cpu), then unmasked with
 *    interrupts off; a move is masked, EVTCHNOP_bind_vcpu, bind_to_cpu,
 *    unmasked;
 *  - closing masks, remove()s, then closes at Xen;
 *  - the upcall clears evtchn_upcall_pending and calls handle_events()
 *    until the flag stays clear; a delivered port is acknowledged
 *    (clear_pending) before its handler runs.
 *
 * Every test runs in a child process: a crash, a sanitizer report or a
 * hang fails that test only.  Output: "ok N - name" / "not ok N - name #
 * why", then "N passed, N failed"; -r appends "ok host name" lines in the
 * format of make check.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model_3l.h"
#include "shim.h"

/* ---- Assertions ------------------------------------------------------- */

static __printf(4, 5) void fail_at(const char *file, int line,
				   const char *func, const char *fmt, ...);

static void fail_at(const char *file, int line, const char *func,
		    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "HX-FAIL: %s:%d: %s(): %s\n", file, line, func, msg);
}

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fail_at(__FILE__, __LINE__, __func__,		\
				"%s is false", #c);			\
			return false;					\
		}							\
	} while (0)
#define CHECK_CMP(a, op, b)						\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (!(__a op __b)) {					\
			fail_at(__FILE__, __LINE__, __func__,		\
				"%s %s %s: %lld vs %lld",		\
				#a, #op, #b, __a, __b);			\
			return false;					\
		}							\
	} while (0)
#define CHECK_EQ(a, b)	CHECK_CMP(a, ==, b)
#define CHECK_LE(a, b)	CHECK_CMP(a, <=, b)
#define CHECK_LT(a, b)	CHECK_CMP(a, <, b)
#define CHECK_GT(a, b)	CHECK_CMP(a, >, b)
#define CHECK_PORT(p)	CHECK_CMP(p, >, 0)

static u64 seed = 1;
static bool verbose;

static u64 rnd(void)
{
	static __thread u64 s;

	if (!s)
		s = seed * 0x9e3779b97f4a7c15ULL + (u64)shim_cpu + 1;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* ---- The stand-in core ------------------------------------------------ */

const struct evtchn_ops *evtchn_ops;

struct evtchn_loop_ctrl {
	unsigned int cpu;
	unsigned long events;
};

enum core_kind {
	K_NONE,
	K_IPI,
	K_PEER,
	K_VIRQ,
};

struct core_port {
	u8 kind;
	u8 cpu;			/* where the core routed it */
	u8 prev_cpu;		/* where it was before the latest move */
	bool bound;
	bool masked;		/* a test masked it */
	u64 raised;		/* events made to happen */
	u64 seen;		/* raised, as of the latest delivery */
	u32 delivered;
	u32 per_cpu[NR_CPUS];
	u32 wrong_cpu;
	u32 stray;
	void (*hook)(evtchn_port_t port, void *arg);
	void *hook_arg;
};

#define LOG_MAX		65536U
#define UPCALL_LOOPS	1000000U

struct core_thread {
	pthread_t tid;
	unsigned int cpu;
	bool started;
	bool busy;
};

static struct core {
	bool up;
	bool on_3l;			/* the probe chose 3-level */
	unsigned int nr_cpus;
	struct core_port *port;
	evtchn_port_t virq_port[NR_CPUS][M3_NR_VIRQS];
	struct evtchn_loop_ctrl *ctrl[NR_CPUS];
	u64 delivered, stray, violations, livelocks;
	char first_violation[200];
	u32 log[LOG_MAX];
	unsigned int log_len;
	struct core_thread thr[NR_CPUS];
	bool threads_stop;
	bool allow_warnings, allow_wrong_cpu, allow_xen_warnings;
} core;

struct core_opts {
	unsigned int nr_cpus;		/* 0: 2 */
	bool hvm;
	bool permute;			/* Xen vCPU ids != Linux CPU numbers */
	struct m3_config xen;		/* nr_vcpus is filled in */
};

unsigned int xen_evtchn_nr_channels(void)
{
	return evtchn_ops->nr_channels();
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_add_fetch(&core.violations, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(core.first_violation, sizeof(core.first_violation), fmt, ap);
	va_end(ap);
}

static unsigned int vcpu_of(unsigned int cpu)
{
	return per_cpu(xen_vcpu_id, cpu);
}

static unsigned int cpu_of_vcpu(unsigned int vcpu)
{
	unsigned int cpu;

	for (cpu = 0; cpu < core.nr_cpus; cpu++)
		if (vcpu_of(cpu) == vcpu)
			return cpu;
	return 0;
}

static int xen_op(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

static struct core_port *cp(evtchn_port_t port)
{
	return &core.port[port];
}

/* Probe like the core: 3-level, else 2-level.  Returns the 3l probe's rc. */
static int core_setup(const struct core_opts *o)
{
	struct m3_config mc = o->xen;
	const struct evtchn_ops *ops = NULL;
	unsigned int cpu, port;
	int rc;

	memset(&core, 0, sizeof(core));
	core.nr_cpus = o->nr_cpus ? o->nr_cpus : 2;
	mc.nr_vcpus = core.nr_cpus;
	if (m3_create(&mc))
		return -ENOMEM;
	core.port = calloc(M3_PORTS, sizeof(*core.port));
	if (!core.port)
		return -ENOMEM;

	shim_cpus_init(core.nr_cpus);
	xen_domain_type = o->hvm ? XEN_HVM_DOMAIN : XEN_PV_DOMAIN;
	HYPERVISOR_shared_info = m3_shared_info();
	for (cpu = 0; cpu < core.nr_cpus; cpu++) {
		unsigned int id = o->permute ? (cpu + 1) % core.nr_cpus : cpu;

		per_cpu(xen_vcpu_id, cpu) = id;
		per_cpu(xen_vcpu, cpu) = m3_vcpu_info(id);
	}
	shim_set_cpu(0);
	shim_set_cpu_online(0, true);
	core.up = true;

	rc = evtchn_3l_probe(&ops);
	core.on_3l = !rc;
	if (rc && evtchn_2l_probe(&ops))
		return -ENOSYS;
	evtchn_ops = ops;

	/* Nothing is bound yet: no port may fire before it has an IRQ. */
	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		evtchn_ops->mask(port);
	for (cpu = 1; cpu < core.nr_cpus; cpu++) {
		int err = evtchn_op_percpu(cpu, true);

		if (err) {
			fprintf(stderr, "percpu_init(%u) = %d\n", cpu, err);
			return err;
		}
		shim_set_cpu_online(cpu, true);
	}
	return rc;
}

static int core_setup_dom0(unsigned int nr_cpus)
{
	struct core_opts o = { .nr_cpus = nr_cpus };

	return core_setup(&o);
}

static void core_unmask_irqs_off(evtchn_port_t port)
{
	unsigned long flags;

	local_irq_save(flags);
	evtchn_ops->unmask(port);
	local_irq_restore(flags);
}

/* A port Xen gave us, delivered by Xen to @cpu: route it, enable it. */
static int core_attach(evtchn_port_t port, enum core_kind kind,
		       unsigned int cpu)
{
	struct core_port *p = cp(port);
	int rc = evtchn_op_setup(port);

	if (rc)
		return rc;
	evtchn_ops->mask(port);
	p->kind = kind;
	p->cpu = cpu;
	p->prev_cpu = cpu;
	p->masked = false;
	evtchn_ops->bind_to_cpu(port, cpu, cpu);
	__atomic_store_n(&p->bound, true, __ATOMIC_SEQ_CST);
	core_unmask_irqs_off(port);
	return 0;
}

/* Move @port to @cpu; @bracket: masked around the move, as the core. */
static int core_move(evtchn_port_t port, unsigned int cpu, bool bracket)
{
	struct evtchn_bind_vcpu bv = { .port = port, .vcpu = vcpu_of(cpu) };
	struct core_port *p = cp(port);
	unsigned int old = p->cpu;
	int rc;

	if (bracket)
		evtchn_ops->mask(port);
	rc = xen_op(EVTCHNOP_bind_vcpu, &bv);
	if (!rc) {
		__atomic_store_n(&p->prev_cpu, old, __ATOMIC_SEQ_CST);
		__atomic_store_n(&p->cpu, cpu, __ATOMIC_SEQ_CST);
		evtchn_ops->bind_to_cpu(port, cpu, old);
	}
	if (bracket && !p->masked)
		core_unmask_irqs_off(port);
	return rc;
}

static int core_bind_ipi(unsigned int cpu)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu_of(cpu) };
	int rc = xen_op(EVTCHNOP_bind_ipi, &b);

	if (rc)
		return rc;
	rc = core_attach(b.port, K_IPI, cpu);
	return rc ? rc : (int)b.port;
}

/* An interdomain port with the peer, delivered to @cpu. */
static int core_bind_peer(unsigned int cpu)
{
	struct evtchn_alloc_unbound a = {
		.dom = DOMID_SELF,
		.remote_dom = M3_PEER_DOMID,
	};
	int rc = xen_op(EVTCHNOP_alloc_unbound, &a);

	if (rc)
		return rc;
	rc = m3_peer_connect(a.port);
	if (!rc)
		rc = core_attach(a.port, K_PEER, cpu_of_vcpu(0));
	if (!rc && cpu != cpu_of_vcpu(0))
		rc = core_move(a.port, cpu, true);
	return rc ? rc : (int)a.port;
}

static int core_bind_virq(unsigned int virq, unsigned int cpu)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu_of(cpu) };
	int rc = xen_op(EVTCHNOP_bind_virq, &b);

	if (rc)
		return rc;
	core.virq_port[cpu][virq] = b.port;
	rc = core_attach(b.port, K_VIRQ, cpu);
	return rc ? rc : (int)b.port;
}

/* As the core: mask, forget, tell the backend, then close at Xen. */
static int core_close(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };
	struct core_port *p = cp(port);
	unsigned int virq;
	int rc;

	if (!p->bound)
		return -EINVAL;
	evtchn_ops->mask(port);
	__atomic_store_n(&p->bound, false, __ATOMIC_SEQ_CST);
	evtchn_op_remove(port, p->cpu);
	rc = xen_op(EVTCHNOP_close, &c);
	for (virq = 0; virq < M3_NR_VIRQS; virq++)
		if (core.virq_port[p->cpu][virq] == port)
			core.virq_port[p->cpu][virq] = 0;
	/* The counts start again with the port's next user. */
	memset(p, 0, sizeof(*p));
	return rc;
}

static void core_mask(evtchn_port_t port)
{
	cp(port)->masked = true;
	evtchn_ops->mask(port);
}

static void core_unmask(evtchn_port_t port)
{
	cp(port)->masked = false;
	core_unmask_irqs_off(port);
}

/* Make @port's event happen, as its far end would; counted first. */
static int core_raise(evtchn_port_t port)
{
	__atomic_add_fetch(&cp(port)->raised, 1, __ATOMIC_SEQ_CST);
	return m3_raise(port);
}

static void log_delivery(unsigned int cpu, evtchn_port_t port)
{
	unsigned int i = __atomic_fetch_add(&core.log_len, 1, __ATOMIC_SEQ_CST);

	if (i < LOG_MAX)
		core.log[i] = port | (u32)cpu << 24;
}

static unsigned int log_len(void)
{
	return min(__atomic_load_n(&core.log_len, __ATOMIC_SEQ_CST), LOG_MAX);
}

static evtchn_port_t log_port(unsigned int i)
{
	return core.log[i] & 0xffffff;
}

void evtchn_handle_port(evtchn_port_t port, struct evtchn_loop_ctrl *ctrl)
{
	unsigned int cpu = shim_cpu;
	struct core_port *p;
	u64 raised, seen;

	if (!shim_in_irq)
		violation("port %u delivered outside an upcall", port);
	else if (!irqs_disabled())
		violation("port %u delivered with interrupts enabled", port);
	else if (ctrl != core.ctrl[cpu])
		violation("port %u delivered on cpu%u with a foreign ctrl",
			  port, cpu);
	if (!port || port >= M3_PORTS) {
		violation("delivery of impossible port %u", port);
		return;
	}
	if (ctrl)
		ctrl->events++;
	log_delivery(cpu, port);
	p = cp(port);
	if (!__atomic_load_n(&p->bound, __ATOMIC_SEQ_CST)) {
		/* The core finds no IRQ for it and ignores it. */
		__atomic_add_fetch(&p->stray, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&core.stray, 1, __ATOMIC_SEQ_CST);
		return;
	}
	/* handle_edge_irq(): acknowledge first, then run the handler. */
	evtchn_ops->clear_pending(port);
	/* The ack before the read of raised; pairs with core_raise(). */
	smp_mb();
	raised = __atomic_load_n(&p->raised, __ATOMIC_SEQ_CST);
	seen = __atomic_load_n(&p->seen, __ATOMIC_SEQ_CST);
	while (seen < raised &&
	       !__atomic_compare_exchange_n(&p->seen, &seen, raised, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	__atomic_add_fetch(&p->delivered, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&core.delivered, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&p->per_cpu[cpu], 1, __ATOMIC_SEQ_CST);
	if (cpu != __atomic_load_n(&p->cpu, __ATOMIC_SEQ_CST) &&
	    cpu != __atomic_load_n(&p->prev_cpu, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&p->wrong_cpu, 1, __ATOMIC_SEQ_CST);
	if (p->hook)
		p->hook(port, p->hook_arg);
}

evtchn_port_t evtchn_percpu_virq_port(unsigned int cpu, unsigned int virq)
{
	if (cpu >= core.nr_cpus || virq >= M3_NR_VIRQS)
		return 0;
	return core.virq_port[cpu][virq];
}

/* Take @cpu's upcall now, on this thread, as @cpu. */
static void core_upcall(unsigned int cpu)
{
	struct vcpu_info *vi = per_cpu(xen_vcpu, cpu);
	struct evtchn_loop_ctrl ctrl = { .cpu = cpu };
	int saved_cpu = shim_cpu;
	bool saved_irqs = shim_irqs_off;
	unsigned int loops = 0;

	shim_set_cpu(cpu);
	shim_irqs_off = true;
	shim_in_irq++;
	core.ctrl[cpu] = &ctrl;
	do {
		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		evtchn_ops->handle_events(cpu, &ctrl);
		/* Xen sets the flag after the pending bits: read it last. */
		virt_rmb();
	} while (READ_ONCE(vi->evtchn_upcall_pending) && ++loops < UPCALL_LOOPS);
	if (loops >= UPCALL_LOOPS)
		__atomic_add_fetch(&core.livelocks, 1, __ATOMIC_SEQ_CST);
	core.ctrl[cpu] = NULL;
	shim_in_irq--;
	shim_irqs_off = saved_irqs;
	shim_cpu = saved_cpu;
}

static bool upcall_due(unsigned int cpu)
{
	return READ_ONCE(per_cpu(xen_vcpu, cpu)->evtchn_upcall_pending);
}

/* Take upcalls on every online CPU until none is due; returns how many. */
static unsigned int core_drain(void)
{
	unsigned int rounds, cpu, n = 0;
	bool any;

	for (rounds = 0; rounds < 100000; rounds++) {
		any = false;
		for_each_online_cpu(cpu) {
			if (upcall_due(cpu)) {
				core_upcall(cpu);
				n++;
				any = true;
			}
		}
		if (!any)
			return n;
	}
	__atomic_add_fetch(&core.livelocks, 1, __ATOMIC_SEQ_CST);
	return n;
}

/*
 * ---- vCPU threads: CPUs 1.. take their upcalls on threads of their own.
 * CPU 0 is the test's own thread, which takes its upcalls in between
 * (core_poll0()), as a CPU that is busy with work would.
 */

static void *vcpu_thread(void *arg)
{
	struct core_thread *t = arg;
	unsigned int vcpu = vcpu_of(t->cpu);

	shim_set_cpu(t->cpu);
	while (!__atomic_load_n(&core.threads_stop, __ATOMIC_SEQ_CST)) {
		unsigned int seq = m3_kick_seq(vcpu);

		if (upcall_due(t->cpu)) {
			__atomic_store_n(&t->busy, true, __ATOMIC_SEQ_CST);
			core_upcall(t->cpu);
			__atomic_store_n(&t->busy, false, __ATOMIC_SEQ_CST);
			continue;
		}
		m3_wait_kick(vcpu, seq, 2000);
	}
	return NULL;
}

static void core_threads_start(void)
{
	unsigned int cpu;

	core.threads_stop = false;
	for (cpu = 1; cpu < core.nr_cpus; cpu++) {
		struct core_thread *t = &core.thr[cpu];

		t->cpu = cpu;
		t->started = !pthread_create(&t->tid, NULL, vcpu_thread, t);
	}
}

static void core_poll0(void)
{
	if (upcall_due(0))
		core_upcall(0);
}

/* Wait until no upcall is due or running anywhere (or @ms passed). */
static bool core_quiesce(unsigned int ms)
{
	struct timespec ts = { 0, 200000 };
	unsigned int i, cpu;

	for (i = 0; i < ms * 5; i++) {
		bool idle = true;

		core_poll0();
		for (cpu = 0; cpu < core.nr_cpus; cpu++)
			if (upcall_due(cpu) ||
			    __atomic_load_n(&core.thr[cpu].busy, __ATOMIC_SEQ_CST))
				idle = false;
		if (idle)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void core_threads_stop(void)
{
	unsigned int cpu;

	__atomic_store_n(&core.threads_stop, true, __ATOMIC_SEQ_CST);
	for (cpu = 1; cpu < core.nr_cpus; cpu++) {
		struct core_thread *t = &core.thr[cpu];

		if (!t->started)
			continue;
		m3_kick(vcpu_of(cpu));
		pthread_join(t->tid, NULL);
		t->started = false;
	}
}

/* ---- The invariants every test keeps ------------------------------------ */

static bool core_finish(void)
{
	unsigned int port, lost = 0, wrong = 0;
	evtchn_port_t first_lost = 0;

	if (!core.up)
		return true;
	core_threads_stop();
	if (evtchn_ops)
		core_drain();

	CHECK_EQ(core.violations, 0);
	CHECK_EQ(core.livelocks, 0);
	CHECK_EQ(core.stray, 0);
	for (port = 1; port < M3_PORTS; port++) {
		struct core_port *p = cp(port);

		wrong += p->wrong_cpu;
		if (p->bound && !p->masked && p->seen < p->raised && !lost++)
			first_lost = port;
	}
	if (lost)
		fail_at(__FILE__, __LINE__, __func__,
			"%u events lost, first on port %u (raised %llu, seen %llu)",
			lost,
			first_lost, (unsigned long long)cp(first_lost)->raised,
			(unsigned long long)cp(first_lost)->seen);
	CHECK_EQ(lost, 0);
	if (!core.allow_wrong_cpu)
		CHECK_EQ(wrong, 0);
	if (!core.allow_warnings)
		CHECK_EQ(shim_nr_warnings(), 0);
	if (!core.allow_xen_warnings)
		CHECK_EQ(m3_stats()->xen_warnings, 0);
	CHECK(m3_mapped_pages_live());
	return true;
}

/* ---- Model tests: the hypervisor side, as the document says ------------ */

/* A page the guest owns, as the backend would give it to Xen. */
static void *guest_page(int fill)
{
	void *pg = (void *)__get_free_page(GFP_KERNEL);

	if (pg)
		memset(pg, fill, PAGE_SIZE);
	return pg;
}

static struct {
	xen_ulong_t *pending[M3_MAP_PAGES];
	xen_ulong_t *mask[M3_MAP_PAGES];
	xen_ulong_t *sel2page;
	void *control_block;	/* a FIFO control block page */
} g;

static int l3op(struct evtchn_3level *op)
{
	return xen_op(EVTCHNOP_3level, op);
}

static void fill_bitmaps(struct evtchn_3level *op)
{
	unsigned int i;

	memset(op, 0, sizeof(*op));
	op->cmd = EVTCHN_3L_REGISTER_BITMAPS;
	op->u.bitmaps.nr_pages = M3_MAP_PAGES;
	for (i = 0; i < M3_MAP_PAGES; i++) {
		if (!g.pending[i])
			g.pending[i] = guest_page(0);
		if (!g.mask[i])
			g.mask[i] = guest_page(0xff);
		op->u.bitmaps.pending_gfn[i] = virt_to_gfn(g.pending[i]);
		op->u.bitmaps.mask_gfn[i] = virt_to_gfn(g.mask[i]);
	}
}

static int register_l2(unsigned int vcpu, u32 offset)
{
	struct evtchn_3level op = {
		.cmd = EVTCHN_3L_REGISTER_L2,
		.vcpu = vcpu,
	};

	if (!g.sel2page)
		g.sel2page = guest_page(0);
	op.u.l2.gfn = virt_to_gfn(g.sel2page);
	op.u.l2.offset = offset;
	return l3op(&op);
}

static bool model_up(const struct m3_config *cfg)
{
	struct m3_config c = *cfg;

	if (!c.nr_vcpus)
		c.nr_vcpus = 2;
	memset(&g, 0, sizeof(g));
	CHECK_EQ(m3_create(&c), 0);
	shim_cpus_init(c.nr_vcpus);
	shim_set_cpu(0);
	per_cpu(xen_vcpu_id, 0) = 0;
	return true;
}

static bool test_model_query(void)
{
	struct m3_config dom0 = { 0 }, domu = { .domu = true,
		.max_evtchn_port = 1023 }, dd = { .domu = true,
		.max_evtchn_port = M3_2L_PORTS }, dd_short = { .domu = true,
		.max_evtchn_port = M3_2L_PORTS - 1 }, stock = { .stock = true };
	struct evtchn_3level q = { .cmd = EVTCHN_3L_QUERY };

	CHECK(model_up(&dom0));
	CHECK_EQ(l3op(&q), 0);
	CHECK_EQ(q.u.query.nr_channels, 262144);
	CHECK_EQ(q.u.query.bitmap_pages, 8);
	CHECK_EQ(q.u.query.l2_bytes, 512);
	CHECK_EQ(q.u.query.flags, 0);
	CHECK_EQ(m3_abi(), M3_2L);	/* changes no state */
	CHECK_EQ(m3_port_limit(), M3_2L_PORTS);
	m3_destroy();

	CHECK(model_up(&domu));
	CHECK_EQ(l3op(&q), -EPERM);
	m3_destroy();

	/* A domain the toolstack sized beyond 2-level is a driver domain. */
	CHECK(model_up(&dd));
	CHECK_EQ(l3op(&q), 0);
	m3_destroy();
	CHECK(model_up(&dd_short));
	CHECK_EQ(l3op(&q), -EPERM);
	m3_destroy();

	CHECK(model_up(&stock));
	CHECK_EQ(l3op(&q), -ENOSYS);
	m3_destroy();
	return true;
}

static bool test_model_bitmaps_errors(void)
{
	struct m3_config dom0 = { 0 }, domu = { .domu = true,
		.max_evtchn_port = 1023 };
	struct evtchn_3level op;
	struct evtchn_init_control ic = { .vcpu = 0 };

	CHECK(model_up(&dom0));
	fill_bitmaps(&op);
	op.u.bitmaps.nr_pages = M3_MAP_PAGES - 1;
	CHECK_EQ(l3op(&op), -EINVAL);
	fill_bitmaps(&op);
	op.u.bitmaps.pad = 1;
	CHECK_EQ(l3op(&op), -EINVAL);
	fill_bitmaps(&op);
	op.vcpu = 1;
	CHECK_EQ(l3op(&op), -EINVAL);
	fill_bitmaps(&op);
	op.u.bitmaps.mask_gfn[3] = 12345;	/* not a page of ours */
	CHECK_EQ(l3op(&op), -EINVAL);
	fill_bitmaps(&op);
	op.u.bitmaps.mask_gfn[3] = op.u.bitmaps.pending_gfn[5];
	CHECK_EQ(l3op(&op), -EINVAL);
	fill_bitmaps(&op);
	op.u.bitmaps.pending_gfn[7] = op.u.bitmaps.pending_gfn[0];
	CHECK_EQ(l3op(&op), -EINVAL);
	/* Nothing was changed by any of them. */
	CHECK_EQ(m3_abi(), M3_2L);
	CHECK_EQ(m3_mapped_pages(), 0);

	fill_bitmaps(&op);
	/* Unused entries (index >= nr_pages) are ignored: none here. */
	CHECK_EQ(l3op(&op), 0);
	CHECK_EQ(m3_abi(), M3_3L);
	CHECK_EQ(m3_mapped_pages(), 2 * M3_MAP_PAGES);
	CHECK_EQ(m3_port_limit(), M3_PORTS);
	CHECK_EQ(l3op(&op), -EEXIST);
	m3_destroy();

	/* On FIFO: reset first. */
	CHECK(model_up(&dom0));
	g.control_block = guest_page(0);
	ic.control_gfn = virt_to_gfn(g.control_block);
	CHECK_EQ(xen_op(EVTCHNOP_init_control, &ic), 0);
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), -EBUSY);
	m3_destroy();

	CHECK(model_up(&domu));
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), -EPERM);
	m3_destroy();
	return true;
}

static bool test_model_l2_errors(void)
{
	struct m3_config dom0 = { .nr_vcpus = 2 };
	struct evtchn_3level op;

	CHECK(model_up(&dom0));
	CHECK_EQ(register_l2(0, 0), -EINVAL);	/* before phase 1 */
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), 0);
	CHECK_EQ(register_l2(0, 4), -EINVAL);	/* not xen_ulong_t aligned */
	CHECK_EQ(register_l2(0, XEN_PAGE_SIZE - M3_SEL_BYTES + 8), -EINVAL);
	CHECK_EQ(register_l2(2, 0), -ENOENT);
	op.cmd = EVTCHN_3L_REGISTER_L2;
	op.vcpu = 0;
	op.u.l2.gfn = virt_to_gfn(g.sel2page);
	op.u.l2.offset = 0;
	op.u.l2.pad = 1;
	CHECK_EQ(l3op(&op), -EINVAL);
	op.u.l2.pad = 0;
	op.u.l2.gfn = 999;
	CHECK_EQ(l3op(&op), -EINVAL);
	CHECK_EQ(register_l2(0, XEN_PAGE_SIZE - M3_SEL_BYTES), 0);
	CHECK_EQ(register_l2(0, 0), -EEXIST);
	CHECK_EQ(register_l2(1, 0), 0);
	CHECK_EQ(m3_mapped_pages(), 2 * M3_MAP_PAGES + 2);

	/* An unknown command. */
	memset(&op, 0, sizeof(op));
	op.cmd = 3;
	CHECK_EQ(l3op(&op), -EINVAL);
	m3_destroy();
	return true;
}

static int model_ipi(unsigned int vcpu)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	int rc = xen_op(EVTCHNOP_bind_ipi, &b);

	return rc ? rc : (int)b.port;
}

static bool bit_in(xen_ulong_t *map, unsigned int bit)
{
	return map[bit / M3_W] & ((xen_ulong_t)1 << (bit % M3_W));
}

/* Phase 1 carries 2-level state over; phase 2 picks up what is latched. */
static bool test_model_carry_over(void)
{
	struct m3_config dom0 = { .nr_vcpus = 2 };
	struct shared_info *si;
	struct evtchn_3level op;
	struct vcpu_info *v0;
	int a, b, c, d, hi;
	unsigned int kicks;

	CHECK(model_up(&dom0));
	si = m3_shared_info();
	v0 = m3_vcpu_info(0);
	a = model_ipi(0);
	b = model_ipi(0);
	c = model_ipi(0);
	d = model_ipi(1);
	CHECK_PORT(a);
	CHECK_PORT(d);
	/* Under 2-level: a pending, b masked, c pending and masked. */
	si->evtchn_mask[0] = ~(xen_ulong_t)0;
	si->evtchn_mask[0] &= ~((xen_ulong_t)1 << a | (xen_ulong_t)1 << d);
	CHECK_EQ(m3_raise(a), 0);
	CHECK_EQ(m3_raise(c), 0);
	CHECK(bit_in(si->evtchn_pending, a));
	v0->evtchn_pending_sel = 0;
	v0->evtchn_upcall_pending = 0;

	fill_bitmaps(&op);
	g.pending[1][0] = 0xffff;	/* ports above 2-level keep ours */
	CHECK_EQ(l3op(&op), 0);
	CHECK(m3_l3_pending(a));
	CHECK(!m3_l3_masked(a));
	/* Moved, not copied: 2-level keeps no pending bit behind. */
	CHECK(!bit_in(si->evtchn_pending, a));
	CHECK(!bit_in(si->evtchn_pending, c));
	CHECK(m3_l3_masked(b));
	CHECK(!m3_l3_pending(b));
	CHECK(m3_l3_pending(c));
	CHECK(m3_l3_masked(c));
	CHECK(!m3_l3_masked(d));
	CHECK(m3_l3_masked(M3_2L_PORTS));
	CHECK(m3_l3_pending(M3_PAGE_WORDS * M3_W));
	CHECK(m3_l3_masked(M3_PORTS - 1));

	/* No L2 yet: an event only latches in L3. */
	kicks = m3_kick_seq(1);
	CHECK_EQ(m3_raise(d), 0);
	CHECK(m3_l3_pending(d));
	CHECK_EQ(m3_kick_seq(1), kicks);
	CHECK_EQ(m3_vcpu_info(1)->evtchn_pending_sel, 0);
	CHECK_EQ(m3_stats()->no_l2, 1);

	/* Phase 2 for vCPU 0 selects a (not c: masked; not d: vCPU 1). */
	kicks = m3_kick_seq(0);
	CHECK_EQ(register_l2(0, 0), 0);
	CHECK(bit_in(m3_sel2(0), a / M3_W));
	CHECK(bit_in(&v0->evtchn_pending_sel, a / (M3_W * M3_W)));
	CHECK_EQ(v0->evtchn_upcall_pending, 1);
	CHECK_EQ(m3_kick_seq(0), kicks + 1);
	CHECK_EQ(m3_vcpu_info(1)->evtchn_upcall_pending, 0);
	/* And vCPU 1's, d. */
	CHECK_EQ(register_l2(1, M3_SEL_BYTES), 0);
	CHECK(bit_in(m3_sel2(1), d / M3_W));
	CHECK_EQ(m3_vcpu_info(1)->evtchn_upcall_pending, 1);

	/* Ports above 2-level can be allocated now. */
	for (hi = 5; hi <= (int)M3_2L_PORTS; hi++)
		CHECK_EQ(model_ipi(1), hi);
	m3_destroy();
	return true;
}

static bool test_model_delivery_rule(void)
{
	struct m3_config dom0 = { .nr_vcpus = 2 }, dd = { .nr_vcpus = 2,
		.domu = true, .max_evtchn_port = 8191 };
	struct evtchn_unmask um;
	struct evtchn_bind_vcpu bv;
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
		.remote_dom = M3_PEER_DOMID };
	struct evtchn_close cl;
	struct evtchn_reset rs = { .dom = DOMID_SELF };
	struct evtchn_init_control ic = { .vcpu = 0 };
	struct evtchn_expand_array ea = { 0 };
	struct evtchn_set_priority sp = { .port = 1, .priority = 3 };
	struct evtchn_3level op;
	struct vcpu_info *v0, *v1;
	unsigned int k0, i;
	int p;

	CHECK(model_up(&dom0));
	/* Every port masked under 2-level, so also in L3 after phase 1. */
	memset(m3_shared_info()->evtchn_mask, 0xff,
	       sizeof(m3_shared_info()->evtchn_mask));
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), 0);
	CHECK_EQ(register_l2(0, 0), 0);
	CHECK_EQ(register_l2(1, M3_SEL_BYTES), 0);
	v0 = m3_vcpu_info(0);
	v1 = m3_vcpu_info(1);
	CHECK_EQ(xen_op(EVTCHNOP_alloc_unbound, &au), 0);
	p = au.port;
	CHECK_EQ(m3_peer_connect(p), 0);

	/* Masked: only latched. */
	k0 = m3_kick_seq(0);
	CHECK_EQ(m3_raise(p), 0);
	CHECK(m3_l3_pending(p));
	CHECK(!bit_in(m3_sel2(0), p / M3_W));
	CHECK_EQ(m3_kick_seq(0), k0);

	/* EVTCHNOP_unmask: clears the mask, selects, raises the upcall. */
	um.port = p;
	CHECK_EQ(xen_op(EVTCHNOP_unmask, &um), 0);
	CHECK(!m3_l3_masked(p));
	CHECK(bit_in(m3_sel2(0), p / M3_W));
	CHECK(bit_in(&v0->evtchn_pending_sel, p / (M3_W * M3_W)));
	CHECK_EQ(v0->evtchn_upcall_pending, 1);
	CHECK_EQ(m3_kick_seq(0), k0 + 1);

	/* Already pending: nothing more. */
	CHECK_EQ(m3_raise(p), 0);
	CHECK_EQ(m3_kick_seq(0), k0 + 1);

	/* Selected already (L2 bit set): no second upcall. */
	v0->evtchn_upcall_pending = 0;
	g.pending[0][0] = 0;
	CHECK_EQ(m3_raise(p), 0);
	CHECK_EQ(m3_kick_seq(0), k0 + 1);

	/* A clean slate: the whole chain, then unmask of an unmasked port. */
	memset(m3_sel2(0), 0, M3_SEL_BYTES);
	v0->evtchn_pending_sel = 0;
	v0->evtchn_upcall_pending = 0;
	CHECK_EQ(xen_op(EVTCHNOP_unmask, &um), 0);
	CHECK(bit_in(m3_sel2(0), p / M3_W));
	CHECK_EQ(v0->evtchn_upcall_pending, 1);
	CHECK_EQ(m3_kick_seq(0), k0 + 2);

	/* bind_vcpu: future events on vCPU 1, old bits stay on vCPU 0. */
	bv.port = p;
	bv.vcpu = 1;
	CHECK_EQ(xen_op(EVTCHNOP_bind_vcpu, &bv), 0);
	CHECK(bit_in(m3_sel2(0), p / M3_W));
	g.pending[0][0] = 0;
	CHECK_EQ(m3_raise(p), 0);
	CHECK(bit_in(m3_sel2(1), p / M3_W));
	CHECK_EQ(v1->evtchn_upcall_pending, 1);

	/* close clears the pending bit (not the mask bit, not selectors). */
	cl.port = p;
	CHECK(m3_l3_pending(p));
	CHECK_EQ(xen_op(EVTCHNOP_close, &cl), 0);
	CHECK(!m3_l3_pending(p));
	CHECK(bit_in(m3_sel2(1), p / M3_W));
	CHECK_EQ(xen_op(EVTCHNOP_close, &cl), -EINVAL);

	/* FIFO and priorities are refused while on 3-level. */
	CHECK_EQ(xen_op(EVTCHNOP_init_control, &ic), -EBUSY);
	CHECK_EQ(xen_op(EVTCHNOP_expand_array, &ea), -EOPNOTSUPP);
	CHECK_EQ(xen_op(EVTCHNOP_set_priority, &sp), -ENOSYS);

	/* reset: everything closed and unmapped, back on 2-level. */
	CHECK_GT(model_ipi(0), 0);
	CHECK_EQ(xen_op(EVTCHNOP_reset, &rs), 0);
	CHECK_EQ(m3_abi(), M3_2L);
	CHECK_EQ(m3_mapped_pages(), 0);
	CHECK_EQ(m3_ports_in_use(), 0);
	CHECK_EQ(m3_port_limit(), M3_2L_PORTS);
	/* and may register again. */
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), 0);
	CHECK_EQ(register_l2(0, 0), 0);
	m3_destroy();

	/* The limit: min(max_evtchn_port + 1, W^3); -ENOSPC beyond. */
	CHECK(model_up(&dd));
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), 0);
	CHECK_EQ(m3_port_limit(), 8192);
	for (i = 1; i < 8192; i++)
		CHECK_EQ(model_ipi(0), (int)i);
	CHECK_EQ(model_ipi(0), -ENOSPC);
	m3_destroy();
	return true;
}

/* Xen 4.17's close (evtchn_free() clears pending), as the patches do. */
/* EVTCHNOP_close clears the L3 pending bit, as Xen does for every ABI. */
static bool test_model_close_clears_pending(void)
{
	struct m3_config c = { .nr_vcpus = 1 };
	struct evtchn_3level op;
	struct evtchn_close cl;
	int p;

	CHECK(model_up(&c));
	fill_bitmaps(&op);
	CHECK_EQ(l3op(&op), 0);
	p = model_ipi(0);
	CHECK_EQ(m3_raise(p), 0);
	CHECK(m3_l3_pending(p));
	cl.port = p;
	CHECK_EQ(xen_op(EVTCHNOP_close, &cl), 0);
	CHECK(!m3_l3_pending(p));
	m3_destroy();
	return true;
}

/* ---- Backend tests ------------------------------------------------------- */

static bool test_probe_dom0(void)
{
	struct m3_stats *st;
	unsigned int cpu;

	CHECK_EQ(core_setup_dom0(4), 0);
	st = m3_stats();
	CHECK(core.on_3l);
	CHECK(evtchn_ops->handle_events != NULL);
	CHECK_EQ(evtchn_ops->max_channels(), 262144);
	CHECK_EQ(evtchn_ops->nr_channels(), 262144);
	CHECK_EQ(m3_abi(), M3_3L);
	CHECK_EQ(st->calls_3l[EVTCHN_3L_QUERY], 1);
	CHECK_EQ(st->calls_3l[EVTCHN_3L_REGISTER_BITMAPS], 1);
	/* PV: every possible CPU in phase 2, at once. */
	CHECK_EQ(st->calls_3l[EVTCHN_3L_REGISTER_L2], 4);
	for (cpu = 0; cpu < 4; cpu++)
		CHECK(m3_sel2(cpu));
	/* 8 + 8 bitmap pages, one page of L2s; plus the routing bitmaps. */
	CHECK_EQ(shim_pages_live(), 17);
	CHECK_EQ(shim_kmallocs_live(), 1 + 4);
	CHECK_EQ(m3_mapped_pages(), 16 + 4);
	/* Everything masked, nothing pending, for the core to bind. */
	CHECK(evtchn_ops->is_masked(1));
	CHECK(evtchn_ops->is_masked(M3_PORTS - 1));
	CHECK(m3_l3_masked(100));
	CHECK(!evtchn_ops->is_pending(100));
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Shortest of 5 runs of @n raise + upcall cycles of @port. */
static double cycle_time(evtchn_port_t port, unsigned int n)
{
	double best = 1e9;
	unsigned int run, i;

	for (run = 0; run < 5; run++) {
		double t0 = now_s();

		for (i = 0; i < n; i++) {
			core_raise(port);
			core_upcall(cp(port)->cpu);
		}
		best = min(best, now_s() - t0);
	}
	return best;
}

/*
 * The cost of an event does not depend on how many ports are bound: one
 * busy port among 262,143 bound ones costs what it costs alone.  A scan
 * of the bound ports would be thousands of times slower.
 */
static bool test_cost_independent_of_bound_ports(void)
{
	unsigned int i, n = 20000;
	double alone, crowded;
	int port;

	CHECK_EQ(core_setup_dom0(1), 0);
	port = core_bind_ipi(0);
	CHECK_PORT(port);
	alone = cycle_time(port, n);
	for (i = 1; i < M3_PORTS - 1; i++)
		CHECK_PORT(core_bind_ipi(0));
	crowded = cycle_time(port, n);
	fprintf(stderr, "%u events: %.4fs with 1 port bound, %.4fs with %u\n",
		n, alone, crowded, M3_PORTS - 1);
	CHECK_EQ(cp(port)->delivered, 10 * n);
	CHECK(crowded < 3 * alone + 0.01);
	return true;
}

/*
 * Nor does a 3-level event cost much more than a 2-level one: the upcall
 * reads the words its selectors name, not the bitmaps.  (A scan of all
 * W * W words of L3 would pass the test above and fail this one.)  The
 * 2-level backend is timed in a child: a process probes only once.
 */
static bool test_cost_close_to_2level(void)
{
	unsigned int i, n = 20000;
	double two_level, three_level;
	int fd[2], status, port;
	pid_t pid;

	CHECK(!pipe(fd));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct core_opts o = { .nr_cpus = 1, .xen = { .stock = true } };
		double t = -1;

		if (core_setup(&o) == -ENOSYS && !core.on_3l) {
			port = core_bind_ipi(0);
			t = cycle_time(port, n);
		}
		if (write(fd[1], &t, sizeof(t)) != sizeof(t))
			exit(1);
		exit(0);
	}
	close(fd[1]);
	CHECK_EQ(read(fd[0], &two_level, sizeof(two_level)),
		 sizeof(two_level));
	waitpid(pid, &status, 0);
	CHECK(two_level > 0);

	CHECK_EQ(core_setup_dom0(1), 0);
	for (i = 1; i < M3_PORTS - 1; i++)
		CHECK_PORT(core_bind_ipi(0));
	port = core_bind_ipi(0);
	three_level = cycle_time(port, n);
	fprintf(stderr, "%u events: %.4fs on 2-level, %.4fs on 3-level\n",
		n, two_level, three_level);
	CHECK(three_level < 3 * two_level + 0.01);
	return true;
}

static bool test_mask_unmask(void)
{
	int a, b;

	CHECK_EQ(core_setup_dom0(2), 0);
	a = core_bind_peer(0);
	b = core_bind_peer(1);
	CHECK_PORT(a);
	CHECK_PORT(b);

	core_mask(a);
	CHECK(evtchn_ops->is_masked(a));
	CHECK_EQ(core_raise(a), 0);
	core_drain();
	CHECK_EQ(cp(a)->delivered, 0);
	CHECK(evtchn_ops->is_pending(a));

	/* Not pending: unmasked without a word to Xen. */
	CHECK_EQ(m3_unmask_calls(b), 0);
	core_mask(b);
	core_unmask(b);
	CHECK_EQ(m3_unmask_calls(b), 0);
	CHECK(!evtchn_ops->is_masked(b));

	/* Pending and routed to this CPU (0) in a PV guest: no hypercall. */
	core_unmask(a);
	CHECK_EQ(m3_unmask_calls(a), 0);
	CHECK(!evtchn_ops->is_masked(a));
	core_drain();
	CHECK_EQ(cp(a)->delivered, 1);
	CHECK_EQ(cp(a)->per_cpu[0], 1);
	CHECK(!evtchn_ops->is_pending(a));

	/* Masked again: events wait, each unmask delivers once. */
	core_mask(a);
	CHECK_EQ(core_raise(a), 0);
	CHECK_EQ(core_raise(a), 0);
	core_drain();
	CHECK_EQ(cp(a)->delivered, 1);
	core_unmask(a);
	core_drain();
	CHECK_EQ(cp(a)->delivered, 2);
	return true;
}

/* Unmasking a pending port routed to another CPU: Xen selects it there. */
static bool test_unmask_while_pending_elsewhere(void)
{
	int b;

	CHECK_EQ(core_setup_dom0(2), 0);
	b = core_bind_peer(1);
	CHECK_PORT(b);
	core_mask(b);
	CHECK_EQ(core_raise(b), 0);
	core_drain();
	CHECK_EQ(cp(b)->delivered, 0);
	CHECK_EQ(m3_unmask_calls(b), 0);
	/* We run as CPU 0. */
	core_unmask(b);
	CHECK_EQ(m3_unmask_calls(b), 1);
	CHECK(upcall_due(1));
	CHECK(!upcall_due(0));
	core_drain();
	CHECK_EQ(cp(b)->delivered, 1);
	CHECK_EQ(cp(b)->per_cpu[1], 1);
	return true;
}

/* HVM: only Xen can inject the upcall, so unmask always asks Xen. */
static bool test_hvm(void)
{
	struct core_opts o = { .nr_cpus = 3, .hvm = true };
	struct m3_stats *st;
	int a, b;

	CHECK_EQ(core_setup(&o), 0);
	st = m3_stats();
	/*
	 * Secondary CPUs' vCPU numbers are only known at bring-up: phase 2
	 * covered CPU 0, percpu_init() the others.
	 */
	CHECK_EQ(st->calls_3l[EVTCHN_3L_REGISTER_L2], 3);
	CHECK(m3_sel2(1) && m3_sel2(2));
	a = core_bind_peer(0);
	b = core_bind_peer(2);
	core_mask(a);
	CHECK_EQ(core_raise(a), 0);
	core_unmask(a);
	CHECK_EQ(m3_unmask_calls(a), 1);
	CHECK_EQ(core_raise(b), 0);
	core_drain();
	CHECK_EQ(cp(a)->per_cpu[0], 1);
	CHECK_EQ(cp(b)->per_cpu[2], 1);
	return true;
}

/* A CPU coming up registers its L2 only once, also after going down. */
static bool test_percpu_registration_once(void)
{
	struct core_opts o = { .nr_cpus = 2, .hvm = true };
	int p;

	CHECK_EQ(core_setup(&o), 0);
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_REGISTER_L2], 2);
	shim_set_cpu_online(1, false);
	CHECK_EQ(evtchn_op_percpu(1, false), 0);
	CHECK_EQ(evtchn_op_percpu(1, true), 0);
	shim_set_cpu_online(1, true);
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_REGISTER_L2], 2);
	p = core_bind_peer(1);
	CHECK_EQ(core_raise(p), 0);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[1], 1);
	return true;
}

/*
 * Round robin at every level: after port B was served, the next upcall
 * starts after B.  Ports A < C < B < D are raised with B just served;
 * they must come as D, A, C, B (not A, C, B, D).  One layout per level
 * the cursor splits: same L3 word; same L2 word; different L1 bits; and
 * B's L3 word holding ports on both sides of it.
 */
static bool rotation_case(const evtchn_port_t abcd[4], const char *what)
{
	evtchn_port_t a = abcd[0], c = abcd[1], b = abcd[2], d = abcd[3];
	unsigned int start;

	CHECK(a < c && c < b && b < d);
	CHECK_EQ(core_raise(b), 0);
	core_drain();
	start = log_len();
	CHECK_EQ(core_raise(c), 0);
	CHECK_EQ(core_raise(a), 0);
	CHECK_EQ(core_raise(d), 0);
	CHECK_EQ(core_raise(b), 0);
	core_drain();
	if (log_len() != start + 4 || log_port(start) != d ||
	    log_port(start + 1) != a || log_port(start + 2) != c ||
	    log_port(start + 3) != b) {
		fail_at(__FILE__, __LINE__, __func__,
			"%s: got %u %u %u %u, want %u %u %u %u", what,
			log_port(start), log_port(start + 1),
			log_port(start + 2), log_port(start + 3), d, a, c, b);
		return false;
	}
	return true;
}

static bool test_fairness_rotation(void)
{
	static const evtchn_port_t same_word[4] = {
		64 * 5 + 1, 64 * 5 + 10, 64 * 5 + 20, 64 * 5 + 30 };
	static const evtchn_port_t same_l2[4] = {
		4096 * 2 + 64 * 1 + 5, 4096 * 2 + 64 * 2 + 5,
		4096 * 2 + 64 * 3 + 5, 4096 * 2 + 64 * 4 + 5 };
	static const evtchn_port_t l1_bits[4] = {
		4096 * 1 + 7, 4096 * 3 + 7, 4096 * 4 + 7, 4096 * 5 + 7 };
	static const evtchn_port_t split[4] = {
		64 * 9 + 2, 64 * 9 + 3, 64 * 9 + 40, 64 * 9 + 50 };
	static const evtchn_port_t split_l2[4] = {
		4096 * 6 + 64 * 3, 4096 * 6 + 64 * 7 + 1,
		4096 * 6 + 64 * 7 + 33, 4096 * 6 + 64 * 9 };
	unsigned int i;

	CHECK_EQ(core_setup_dom0(1), 0);
	for (i = 1; i < 4096 * 7; i++)
		CHECK_EQ(core_bind_ipi(0), (int)i);
	CHECK(rotation_case(same_word, "same L3 word"));
	CHECK(rotation_case(same_l2, "same L2 word"));
	CHECK(rotation_case(l1_bits, "different L1 bits"));
	CHECK(rotation_case(split, "cursor word split"));
	CHECK(rotation_case(split_l2, "cursor L2 word split"));
	/* And again the other way round, wrapping from the top. */
	CHECK(rotation_case(same_word, "same L3 word, after a wrap"));
	return true;
}

struct storm {
	unsigned int left;
};

static void storm_again(evtchn_port_t port, void *arg)
{
	struct storm *s = arg;

	if (s->left) {
		s->left--;
		core_raise(port);
	}
}

/*
 * A port that fires again as soon as it is handled starves nobody: ports
 * in its L3 word, its L2 word and other L1 words all get their turn
 * within the next pass.
 */
static bool test_fairness_storm(void)
{
	static const evtchn_port_t quiet[] = {
		3, 63, 64, 130, 4095, 4097, 8200, 12287, 12288, 20000 };
	struct storm s = { .left = 1000 };
	unsigned int i, n, storms = 0, worst = 0;
	evtchn_port_t loud = 2;

	CHECK_EQ(core_setup_dom0(1), 0);
	for (i = 1; i <= 20000; i++)
		CHECK_EQ(core_bind_ipi(0), (int)i);
	cp(loud)->hook = storm_again;
	cp(loud)->hook_arg = &s;
	CHECK_EQ(core_raise(loud), 0);
	for (i = 0; i < ARRAY_SIZE(quiet); i++)
		CHECK_EQ(core_raise(quiet[i]), 0);
	core_drain();
	for (i = 0; i < ARRAY_SIZE(quiet); i++)
		CHECK_EQ(cp(quiet[i])->delivered, 1);
	CHECK_EQ(cp(loud)->delivered, 1001);
	/* How many times did the loud port go before each quiet one? */
	n = log_len();
	for (i = 0; i < n; i++) {
		if (log_port(i) == loud)
			storms++;
		else
			worst = max(worst, storms);
	}
	CHECK_LE(worst, 2);
	return true;
}

/* This CPU's VIRQ_TIMER goes first, whatever else is pending. */
static bool test_timer_first(void)
{
	unsigned int i, start;
	int tick;

	CHECK_EQ(core_setup_dom0(2), 0);
	for (i = 1; i < 5000; i++)
		CHECK_PORT(core_bind_ipi(0));
	tick = core_bind_virq(VIRQ_TIMER, 0);
	CHECK_EQ(tick, 5000);
	for (i = 1; i < 5000; i += 3)
		CHECK_EQ(core_raise(i), 0);
	CHECK_EQ(core_raise(tick), 0);
	start = log_len();
	core_drain();
	CHECK_EQ(log_port(start), (evtchn_port_t)tick);
	CHECK_EQ(cp(tick)->delivered, 1);
	/* Also with the cursor past the timer. */
	CHECK_EQ(core_raise(4999), 0);
	core_drain();
	CHECK_EQ(core_raise(10), 0);
	CHECK_EQ(core_raise(tick), 0);
	start = log_len();
	core_drain();
	CHECK_EQ(log_port(start), (evtchn_port_t)tick);
	/* A masked timer waits like any port. */
	core_mask(tick);
	CHECK_EQ(core_raise(tick), 0);
	core_drain();
	CHECK_EQ(cp(tick)->delivered, 2);
	core_unmask(tick);
	core_drain();
	CHECK_EQ(cp(tick)->delivered, 3);
	return true;
}

/*
 * An event selected on CPU 0 (not taken yet) follows its port to CPU 1:
 * with the core's mask/unmask around the move, and without it.
 */
static bool test_rebind_pending(void)
{
	unsigned int i;
	int p, q;

	CHECK_EQ(core_setup_dom0(2), 0);
	p = core_bind_peer(0);
	/* In another L3 word: p's re-raise must not be what saves q. */
	for (i = 0; i < M3_W; i++)
		CHECK_PORT(core_bind_ipi(0));
	q = core_bind_peer(0);
	CHECK_GT(q / M3_W, p / M3_W);
	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_raise(q), 0);
	CHECK(upcall_due(0));
	CHECK_EQ(core_move(p, 1, true), 0);
	CHECK_EQ(core_move(q, 1, false), 0);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[1], 1);
	CHECK_EQ(cp(p)->per_cpu[0], 0);
	CHECK_EQ(cp(q)->per_cpu[1], 1);
	CHECK_EQ(cp(q)->per_cpu[0], 0);
	/* And back, masked meanwhile: the unmask delivers it on CPU 0. */
	core_mask(p);
	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_move(p, 0, true), 0);
	core_drain();
	CHECK_EQ(cp(p)->delivered, 1);
	core_unmask(p);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[0], 1);
	CHECK_EQ(cp(p)->delivered, 2);
	return true;
}

/*
 * Bug #8: a port used on CPU 1, closed, and handed out again for CPU 0
 * must not keep CPU 1's routing bit (nor an event of its first user).
 * A sibling port of CPU 1 in the same L3 word makes CPU 1 look at the
 * word, first.
 */
static bool test_stale_bit_after_close_rebind(void)
{
	int p, q, again;

	CHECK_EQ(core_setup_dom0(2), 0);
	p = core_bind_peer(1);
	q = core_bind_peer(1);
	CHECK_EQ(p / M3_W, q / M3_W);
	CHECK_EQ(core_raise(p), 0);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[1], 1);
	/* An event arrives and is still pending when the port is closed. */
	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_close(p), 0);
	/* Cleared by the backend's remove() and by EVTCHNOP_close. */
	CHECK(!m3_l3_pending(p));
	CHECK(m3_l3_masked(p));
	again = core_bind_peer(0);
	CHECK_EQ(again, p);
	core_drain();
	CHECK_EQ(cp(p)->delivered, 0);
	CHECK_EQ(core.stray, 0);

	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_raise(q), 0);
	core_upcall(1);
	core_drain();
	CHECK_EQ(cp(p)->delivered, 1);
	CHECK_EQ(cp(p)->per_cpu[0], 1);
	CHECK_EQ(cp(p)->per_cpu[1], 0);
	CHECK_EQ(cp(q)->per_cpu[1], 1);

	/* Same with an IPI of the other CPU. */
	CHECK_EQ(core_close(p), 0);
	p = core_bind_ipi(1);
	CHECK_EQ(core_close(p), 0);
	again = core_bind_ipi(0);
	CHECK_EQ(again, p);
	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_raise(q), 0);
	core_upcall(1);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[0], 1);
	CHECK_EQ(cp(p)->per_cpu[1], 0);
	CHECK_EQ(cp(q)->per_cpu[1], 2);
	return true;
}

/* A CPU goes down (its ports moved away first) and comes back. */
static bool test_cpu_down_up(void)
{
	evtchn_port_t port[32];
	char line[64];
	unsigned int i;
	int left;

	CHECK_EQ(core_setup_dom0(3), 0);
	for (i = 0; i < 32; i++) {
		int p = core_bind_peer(1);

		CHECK_PORT(p);
		port[i] = p;
		if (i % 2)
			CHECK_EQ(core_raise(p), 0);	/* not taken yet */
	}
	/* A per-CPU port of CPU 1, pending, masked: the dump shows it. */
	left = core_bind_ipi(1);
	CHECK_PORT(left);
	core_mask(left);
	CHECK_EQ(core_raise(left), 0);
	snprintf(line, sizeof(line), "port %d: cpu 1 masked", left);
	shim_log_reset();
	evtchn_ops->debug_dump();
	CHECK(shim_log_contains(line));

	/* fixup_irqs(): everything leaves CPU 1, then it dies. */
	for (i = 0; i < 32; i++)
		CHECK_EQ(core_move(port[i], 2, true), 0);
	shim_set_cpu_online(1, false);
	CHECK_EQ(evtchn_op_percpu(1, false), 0);
	/* Nothing is routed to a dead CPU any more. */
	snprintf(line, sizeof(line), "port %d: cpu -1 masked", left);
	shim_log_reset();
	evtchn_ops->debug_dump();
	CHECK(shim_log_contains(line));
	/* The core closes the per-CPU ports of a dead CPU. */
	CHECK_EQ(core_close(left), 0);
	core_drain();
	for (i = 0; i < 32; i++) {
		CHECK_EQ(cp(port[i])->per_cpu[2], i % 2);
		CHECK_EQ(cp(port[i])->per_cpu[1], 0);
		CHECK_EQ(core_raise(port[i]), 0);
	}
	core_drain();
	for (i = 0; i < 32; i++)
		CHECK_EQ(cp(port[i])->per_cpu[2], 1 + i % 2);

	/* Back up: nothing stale on it, and it takes ports again. */
	CHECK_EQ(evtchn_op_percpu(1, true), 0);
	shim_set_cpu_online(1, true);
	for (i = 0; i < 32; i += 2)
		CHECK_EQ(core_move(port[i], 1, true), 0);
	for (i = 0; i < 32; i++)
		CHECK_EQ(core_raise(port[i]), 0);
	core_drain();
	for (i = 0; i < 32; i++) {
		struct core_port *p = cp(port[i]);

		CHECK_EQ(p->per_cpu[1], i % 2 ? 0 : 1);
		CHECK_EQ(p->delivered, 2 + i % 2);
	}
	return true;
}

/* Xen said no before anything was allocated: nothing ever was. */
static bool never_allocated(void)
{
	CHECK_EQ(shim_pages_allocated(), 0);
	CHECK_EQ(shim_kmallocs_live(), 0);
	return true;
}

/* Nothing of ours is left behind after a probe that failed. */
static bool nothing_allocated(void)
{
	CHECK_EQ(shim_pages_live(), 0);
	CHECK_EQ(shim_kmallocs_live(), 0);
	CHECK_EQ(m3_mapped_pages(), 0);
	CHECK_EQ(m3_abi(), M3_2L);
	return true;
}

/* The 2-level fallback the core chose works. */
static bool two_level_works(void)
{
	int p = core_bind_peer(1), q = core_bind_ipi(0);

	CHECK(!core.on_3l);
	CHECK_EQ(evtchn_ops->max_channels(), EVTCHN_2L_NR_CHANNELS);
	CHECK_PORT(p);
	CHECK_PORT(q);
	CHECK_EQ(core_raise(p), 0);
	CHECK_EQ(core_raise(q), 0);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[1], 1);
	CHECK_EQ(cp(q)->per_cpu[0], 1);
	return true;
}

static bool test_fallback_stock_xen(void)
{
	struct core_opts o = { .xen = { .stock = true } };
	struct m3_stats *st;

	CHECK_EQ(core_setup(&o), -ENOSYS);
	st = m3_stats();
	CHECK(never_allocated());
	CHECK(nothing_allocated());
	CHECK_EQ(st->calls[EVTCHNOP_3level], 1);
	CHECK_EQ(st->calls[EVTCHNOP_reset], 0);
	CHECK(two_level_works());
	return true;
}

static bool test_fallback_domu_eperm(void)
{
	struct core_opts o = { .xen = { .domu = true, .max_evtchn_port = 1023 } };

	CHECK_EQ(core_setup(&o), -EPERM);
	CHECK(never_allocated());
	CHECK(nothing_allocated());
	CHECK_EQ(m3_stats()->calls[EVTCHNOP_3level], 1);
	CHECK(two_level_works());
	return true;
}

/* A domU the toolstack sized for 8,192 ports is a driver domain. */
static bool test_driver_domain(void)
{
	struct core_opts o = { .xen = { .domu = true, .max_evtchn_port = 8191 } };
	unsigned int i;
	int p = 0;

	CHECK_EQ(core_setup(&o), 0);
	CHECK(core.on_3l);
	for (i = 1; i < 8192; i++) {
		p = core_bind_ipi(i % 2);
		CHECK_EQ(p, (int)i);
	}
	CHECK_EQ(core_bind_ipi(0), -ENOSPC);
	CHECK_EQ(core_raise(8191), 0);
	CHECK_EQ(core_raise(4096), 0);
	core_drain();
	CHECK_EQ(cp(8191)->per_cpu[1], 1);
	CHECK_EQ(cp(4096)->per_cpu[0], 1);
	return true;
}

static bool test_fallback_odd_geometry(void)
{
	struct core_opts o = { .xen = { .odd_geometry = true } };

	CHECK_EQ(core_setup(&o), -EINVAL);
	CHECK(never_allocated());
	CHECK(nothing_allocated());
	CHECK_EQ(shim_nr_warnings(), 1);
	CHECK(shim_log_contains("3-level ABI: Xen offers 262144 ports, 9 pages"));
	core.allow_warnings = true;
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_REGISTER_BITMAPS], 0);
	CHECK(two_level_works());
	return true;
}

/* Set up a model and a failure, then run the core's probe. */
static int setup_with_failures(const struct core_opts *o,
			       void (*steer)(void *), void *arg)
{
	struct m3_config mc = o->xen;
	const struct evtchn_ops *ops = NULL;
	unsigned int cpu, port;
	int rc;

	memset(&core, 0, sizeof(core));
	core.nr_cpus = o->nr_cpus ? o->nr_cpus : 2;
	mc.nr_vcpus = core.nr_cpus;
	if (m3_create(&mc))
		return -ENOMEM;
	core.port = calloc(M3_PORTS, sizeof(*core.port));
	shim_cpus_init(core.nr_cpus);
	xen_domain_type = XEN_PV_DOMAIN;
	HYPERVISOR_shared_info = m3_shared_info();
	for (cpu = 0; cpu < core.nr_cpus; cpu++) {
		per_cpu(xen_vcpu_id, cpu) = cpu;
		per_cpu(xen_vcpu, cpu) = m3_vcpu_info(cpu);
	}
	shim_set_cpu(0);
	shim_set_cpu_online(0, true);
	core.up = true;
	steer(arg);

	rc = evtchn_3l_probe(&ops);
	core.on_3l = !rc;
	if (rc && evtchn_2l_probe(&ops))
		return -ENOSYS;
	evtchn_ops = ops;
	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		evtchn_ops->mask(port);
	for (cpu = 1; cpu < core.nr_cpus; cpu++) {
		if (evtchn_op_percpu(cpu, true))
			return -EIO;
		shim_set_cpu_online(cpu, true);
	}
	return rc;
}

struct failure {
	int cmd, sub, err;
	unsigned int skip;
	int cmd2, sub2, err2;
};

static void inject(void *arg)
{
	struct failure *f = arg;

	m3_fail_op(f->cmd, f->sub, f->err, f->skip);
}

static bool test_phase1_fails(void)
{
	static const int errs[] = { -ENOMEM, -EINVAL, -EBUSY, -EEXIST };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		struct failure f = { EVTCHNOP_3level,
				     EVTCHN_3L_REGISTER_BITMAPS, errs[i], 0 };
		struct core_opts o = { .nr_cpus = 2 };
		pid_t pid = fork();
		int status;

		/* One probe per process: the backend's state is static. */
		if (!pid) {
			bool ok = setup_with_failures(&o, inject, &f) == errs[i] &&
				  nothing_allocated() &&
				  m3_stats()->calls[EVTCHNOP_reset] == 0 &&
				  m3_stats()->calls_3l[EVTCHN_3L_REGISTER_L2] == 0 &&
				  two_level_works() && core_finish();

			exit(ok ? 0 : 1);
		}
		CHECK(pid > 0);
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail_at(__FILE__, __LINE__, __func__,
				"phase 1 failing with %d: not handled", errs[i]);
			return false;
		}
	}
	return true;
}

/* Phase 2 fails for the k-th CPU: reset, everything freed, 2-level. */
static bool test_phase2_fails(void)
{
	unsigned int k;

	for (k = 0; k < 4; k++) {
		struct failure f = { EVTCHNOP_3level, EVTCHN_3L_REGISTER_L2,
				     k % 2 ? -ENOENT : -ENOMEM, k };
		struct core_opts o = { .nr_cpus = 4 };
		pid_t pid = fork();
		int status;

		if (!pid) {
			bool ok = setup_with_failures(&o, inject, &f) == f.err &&
				  m3_stats()->calls[EVTCHNOP_reset] == 1 &&
				  nothing_allocated() && two_level_works();

			core.allow_warnings = true;
			ok = ok && shim_nr_warnings() == 1 && core_finish();
			exit(ok ? 0 : 1);
		}
		CHECK(pid > 0);
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail_at(__FILE__, __LINE__, __func__,
				"phase 2 failing on CPU %u: not handled", k);
			return false;
		}
	}
	return true;
}

static void inject_two(void *arg)
{
	struct failure *f = arg;

	m3_fail_op(f->cmd, f->sub, f->err, f->skip);
	m3_fail_op(f->cmd2, f->sub2, f->err2, 0);
}

/*
 * Phase 2 fails and so does the reset: Xen keeps our pages mapped, so
 * they must stay allocated (no use after free), and it is said loudly.
 */
static bool test_phase2_and_reset_fail(void)
{
	struct failure f = { EVTCHNOP_3level, EVTCHN_3L_REGISTER_L2, -ENOMEM,
			     1, EVTCHNOP_reset, -1, -EBUSY };
	struct core_opts o = { .nr_cpus = 2 };

	CHECK_EQ(setup_with_failures(&o, inject_two, &f), -ENOMEM);
	CHECK_EQ(m3_stats()->calls[EVTCHNOP_reset], 1);
	CHECK_EQ(m3_abi(), M3_3L);
	CHECK_GT(m3_mapped_pages(), 0);
	CHECK(m3_mapped_pages_live());
	CHECK_EQ(shim_pages_live(), 17);
	CHECK_EQ(shim_nr_messages(LOGLEVEL_ERR), 1);
	CHECK(shim_log_contains("EVTCHNOP_reset failed (-16)"));
	core.allow_warnings = true;
	/* Nothing more can be done for this domain; the test ends here. */
	core.up = false;
	return true;
}

struct alloc_failure {
	bool kmalloc;
	unsigned int skip;
};

static void fail_alloc(void *arg)
{
	struct alloc_failure *a = arg;

	if (a->kmalloc)
		shim_fail_kmalloc(a->skip);
	else
		shim_fail_page_alloc(a->skip);
}

/* Every allocation of the probe fails in turn: -ENOMEM, nothing kept. */
static bool test_probe_allocation_failures(void)
{
	unsigned int kind, skip;

	for (kind = 0; kind < 2; kind++) {
		for (skip = 0; skip < 40; skip++) {
			struct alloc_failure a = { kind == 1, skip };
			struct core_opts o = { .nr_cpus = 4 };
			pid_t pid = fork();
			int status;

			if (!pid) {
				int rc = setup_with_failures(&o, fail_alloc, &a);

				if (!rc)
					exit(3);	/* ran out of allocations */
				exit(rc == -ENOMEM && nothing_allocated() &&
				     m3_stats()->calls_3l[EVTCHN_3L_REGISTER_BITMAPS] == 0 &&
				     two_level_works() && core_finish() ? 0 : 1);
			}
			CHECK(pid > 0);
			waitpid(pid, &status, 0);
			CHECK(WIFEXITED(status));
			if (WEXITSTATUS(status) == 3)
				break;
			if (WEXITSTATUS(status)) {
				fail_at(__FILE__, __LINE__, __func__,
					"%s failure %u: not handled",
					kind ? "kmalloc" : "page", skip);
				return false;
			}
		}
		/* Every allocation was made to fail once. */
		CHECK_GT(skip, kind ? 2 : 16);
		CHECK_LT(skip, 40);
	}
	return true;
}

/* A second probe is refused without asking Xen. */
static bool test_probe_twice(void)
{
	const struct evtchn_ops *ops = NULL;

	CHECK_EQ(core_setup_dom0(2), 0);
	CHECK_EQ(evtchn_3l_probe(&ops), -EBUSY);
	CHECK(!ops);
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_QUERY], 1);
	return true;
}

/* A domain already on FIFO is refused with -EBUSY; nothing is kept. */
static void *fifo_block;

static void go_fifo(void *arg)
{
	struct evtchn_init_control ic = { .vcpu = 0 };

	(void)arg;
	fifo_block = guest_page(0);
	ic.control_gfn = virt_to_gfn(fifo_block);
	HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic);
}

static bool test_probe_on_fifo(void)
{
	struct core_opts o = { .nr_cpus = 2 };

	CHECK_EQ(setup_with_failures(&o, go_fifo, NULL), -EBUSY);
	/* Only the control block go_fifo() gave Xen. */
	CHECK_EQ(shim_pages_live(), 1);
	CHECK_EQ(shim_kmallocs_live(), 0);
	CHECK_EQ(m3_mapped_pages(), 0);
	CHECK_EQ(m3_abi(), M3_FIFO);
	core.up = false;	/* no FIFO backend in this program */
	return true;
}

/* Suspend, resume in a new domain (with 3-level), bind again, deliver. */
static bool test_resume_new_domain(void)
{
	unsigned long flags;
	long pages;
	unsigned int i, port;
	int p[8];

	CHECK_EQ(core_setup_dom0(2), 0);
	for (i = 0; i < 5000; i++)
		CHECK_PORT(core_bind_ipi(i % 2));
	CHECK_EQ(core_raise(4999), 0);	/* pending across the suspend */
	pages = shim_pages_live();

	m3_new_domain(false);
	/* The old domain's 2-level bits, as a restored shared_info has. */
	m3_shared_info()->evtchn_mask[3] = 0;
	m3_shared_info()->evtchn_pending[3] = ~(xen_ulong_t)0;
	local_irq_save(flags);
	evtchn_op_resume();
	local_irq_restore(flags);
	/* The core forgets every binding of the old domain. */
	for (port = 1; port < M3_PORTS; port++)
		memset(cp(port), 0, sizeof(*cp(port)));
	memset(core.virq_port, 0, sizeof(core.virq_port));

	CHECK_EQ(m3_abi(), M3_3L);
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_REGISTER_BITMAPS], 2);
	CHECK_EQ(m3_stats()->calls_3l[EVTCHN_3L_REGISTER_L2], 4);
	CHECK_EQ(shim_pages_live(), pages);	/* nothing allocated */
	for (port = 0; port < M3_PORTS; port++) {
		if (!evtchn_ops->is_masked(port) || evtchn_ops->is_pending(port)) {
			fail_at(__FILE__, __LINE__, __func__,
				"port %u not clean after resume", port);
			return false;
		}
	}
	core_drain();
	CHECK_EQ(core.delivered, 0);

	for (i = 0; i < 8; i++) {
		p[i] = i % 2 ? core_bind_peer(i % 2) : core_bind_ipi(0);
		CHECK_EQ(p[i], (int)i + 1);
		CHECK_EQ(core_raise(p[i]), 0);
	}
	core_drain();
	for (i = 0; i < 8; i++)
		CHECK_EQ(cp(p[i])->per_cpu[i % 2], 1);
	return true;
}

/* Resumed on a Xen without 3-level: carry on with 2-level. */
static bool test_resume_on_stock_xen(void)
{
	unsigned long flags;
	unsigned int i, port;
	int p;

	CHECK_EQ(core_setup_dom0(2), 0);
	for (i = 0; i < 100; i++)
		CHECK_PORT(core_bind_ipi(i % 2));
	m3_new_domain(true);
	local_irq_save(flags);
	evtchn_op_resume();
	local_irq_restore(flags);
	for (port = 1; port < M3_PORTS; port++)
		memset(cp(port), 0, sizeof(*cp(port)));

	CHECK_EQ(shim_nr_warnings(), 1);
	CHECK(shim_log_contains("3-level ABI lost on resume (-38), using the 2-level ABI"));
	core.allow_warnings = true;
	CHECK_EQ(m3_abi(), M3_2L);
	CHECK_EQ(evtchn_ops->nr_channels(), M3_2L_PORTS);
	CHECK(evtchn_ops->is_masked(1));
	CHECK(evtchn_ops->is_masked(M3_2L_PORTS - 1));
	for (i = 0; i < 64; i++) {
		p = i % 3 ? core_bind_peer(i % 2) : core_bind_ipi(i % 2);
		CHECK_PORT(p);
		CHECK_EQ(core_raise(p), 0);
	}
	core_mask(5);
	CHECK_EQ(core_raise(5), 0);
	core_drain();
	CHECK_EQ(core.delivered, 63);
	core_unmask(5);
	core_drain();
	CHECK_EQ(core.delivered, 64);
	for (i = 1; i <= 64; i++)
		CHECK_EQ(cp(i)->per_cpu[(i - 1) % 2], 1);
	/* Another resume stays on 2-level. */
	m3_new_domain(false);
	local_irq_save(flags);
	evtchn_op_resume();
	local_irq_restore(flags);
	for (port = 1; port < M3_PORTS; port++)
		memset(cp(port), 0, sizeof(*cp(port)));
	CHECK_EQ(m3_abi(), M3_2L);
	p = core_bind_ipi(1);
	CHECK_EQ(core_raise(p), 0);
	core_drain();
	CHECK_EQ(cp(p)->per_cpu[1], 1);
	return true;
}

static bool test_debug_dump(void)
{
	int p;

	CHECK_EQ(core_setup_dom0(2), 0);
	p = core_bind_peer(1);
	core_mask(p);
	CHECK_EQ(core_raise(p), 0);
	shim_log_reset();
	evtchn_ops->debug_dump();
	CHECK(shim_log_contains("3-level ABI, dumped on CPU 0"));
	CHECK(shim_log_contains("cpu 1: upcall pending 0"));
	CHECK(shim_log_contains("port 1: cpu 1 masked L2 0 L1 0"));
	core_unmask(p);
	return true;
}

/* Ports the core never handed over are refused with one warning. */
static bool test_out_of_range_port(void)
{
	CHECK_EQ(core_setup_dom0(1), 0);
	evtchn_ops->set_pending(M3_PORTS);
	evtchn_ops->mask(M3_PORTS + 5);
	CHECK(evtchn_ops->is_masked(M3_PORTS));
	CHECK(!evtchn_ops->is_pending(M3_PORTS));
	CHECK_EQ(shim_nr_warn_hits(), 1);
	core.allow_warnings = true;
	return true;
}

/* ---- Concurrency ------------------------------------------------------------- */

struct raiser {
	pthread_t tid;
	evtchn_port_t *ports;
	unsigned int n;
	bool stop;
	unsigned long sent;
};

static void *raise_thread(void *arg)
{
	struct raiser *r = arg;

	shim_set_cpu(0);
	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		evtchn_port_t port = r->ports[rnd_below(r->n)];

		if (__atomic_load_n(&cp(port)->bound, __ATOMIC_SEQ_CST)) {
			core_raise(port);
			r->sent++;
		}
	}
	return NULL;
}

/*
 * Xen raises events from a thread of its own while each vCPU takes its
 * upcalls on its own thread, and (@moves) the test moves ports between
 * CPUs meanwhile.  At the end every event raised was followed by a
 * delivery (nothing lost), and nobody handled a port it does not own.
 */
static bool concurrency(bool moves, double seconds)
{
	struct raiser r = { .n = 3000 };
	double end;
	unsigned int i, nmoves = 0;
	u64 raised = 0;

	CHECK_EQ(core_setup_dom0(4), 0);
	/*
	 * A port moved twice while an old CPU's upcall still holds its
	 * word may be handled there once more: harmless, the core's
	 * per-IRQ "active" flag keeps it from running twice at once.
	 */
	core.allow_wrong_cpu = moves;
	r.ports = calloc(r.n, sizeof(*r.ports));
	CHECK(r.ports);
	for (i = 0; i < r.n; i++) {
		int p = i % 3 ? core_bind_peer(rnd_below(4)) :
				core_bind_ipi(rnd_below(4));

		CHECK_PORT(p);
		r.ports[i] = p;
	}
	/* A few idle ports after the busy ones. */
	for (i = 0; i < 10; i++)
		CHECK_PORT(core_bind_peer(i % 4));
	core_threads_start();
	CHECK(!pthread_create(&r.tid, NULL, raise_thread, &r));

	end = now_s() + seconds;
	while (now_s() < end) {
		core_poll0();
		if (!moves)
			continue;
		i = rnd_below(r.n);
		if (cp(r.ports[i])->kind == K_PEER) {
			CHECK_EQ(core_move(r.ports[i], rnd_below(4),
					   rnd_below(4) != 0), 0);
			nmoves++;
		}
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_SEQ_CST);
	pthread_join(r.tid, NULL);
	CHECK(core_quiesce(5000));
	core_threads_stop();
	core_drain();
	for (i = 0; i < r.n; i++)
		raised += cp(r.ports[i])->raised;
	fprintf(stderr, "%lu events raised, %llu delivered, %u moves\n",
		r.sent, (unsigned long long)core.delivered, nmoves);
	CHECK_GT(r.sent, 1000);
	CHECK_GT(core.delivered, 0);
	CHECK_LE(core.delivered, raised);
	/*
	 * Exactly: every port was delivered after the last time it was
	 * raised (edges coalesce, so deliveries may be fewer than raises,
	 * but none may be missing at the end).
	 */
	for (i = 0; i < r.n; i++) {
		struct core_port *p = cp(r.ports[i]);

		if (p->seen != p->raised) {
			fail_at(__FILE__, __LINE__, __func__,
				"port %u lost an event: raised %llu, seen %llu",
				r.ports[i], (unsigned long long)p->raised,
				(unsigned long long)p->seen);
			return false;
		}
	}
	if (moves)
		CHECK_GT(nmoves, 100);
	free(r.ports);
	return true;
}

static bool test_concurrent_raising(void)
{
	return concurrency(false, 1.5);
}

static bool test_concurrent_rebinding(void)
{
	return concurrency(true, 1.5);
}

/* ---- The runner ---------------------------------------------------------------- */

struct test {
	const char *name;
	bool (*fn)(void);
	unsigned int timeout;
};

#define T(fn)		{ #fn, test_##fn, 0 }
#define T_SLOW(fn, s)	{ #fn, test_##fn, s }

static const struct test tests[] = {
	T(model_query),
	T(model_bitmaps_errors),
	T(model_l2_errors),
	T(model_carry_over),
	T(model_delivery_rule),
	T(model_close_clears_pending),
	T(probe_dom0),
	T_SLOW(cost_independent_of_bound_ports, 300),
	T_SLOW(cost_close_to_2level, 300),
	T(mask_unmask),
	T(unmask_while_pending_elsewhere),
	T(hvm),
	T(percpu_registration_once),
	T(fairness_rotation),
	T(fairness_storm),
	T(timer_first),
	T(rebind_pending),
	T(stale_bit_after_close_rebind),
	T(cpu_down_up),
	T(fallback_stock_xen),
	T(fallback_domu_eperm),
	T(driver_domain),
	T(fallback_odd_geometry),
	T(phase1_fails),
	T(phase2_fails),
	T(phase2_and_reset_fail),
	T_SLOW(probe_allocation_failures, 300),
	T(probe_twice),
	T(probe_on_fifo),
	T(resume_new_domain),
	T(resume_on_stock_xen),
	T(debug_dump),
	T(out_of_range_port),
	T(concurrent_raising),
	T(concurrent_rebinding),
};

static u64 name_hash(const char *s)
{
	u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Run one test in a child; its output goes to @out, a reason to @why. */
static bool run_one(const struct test *t, u64 test_seed, char *why,
		    size_t why_len, FILE *out)
{
	int status;
	pid_t pid;

	why[0] = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "runner: fork failed");
		return false;
	}
	if (!pid) {
		bool ok;

		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(out), STDERR_FILENO);
		setvbuf(stdout, NULL, _IONBF, 0);
		seed = test_seed;
		alarm(t->timeout ? t->timeout : 60);
		fprintf(stderr, "# 3level/%s seed %llu\n", t->name,
			(unsigned long long)test_seed);
		ok = t->fn();
		if (!core_finish())
			ok = false;
		if (core.violations)
			fprintf(stderr, "HX-FAIL: first violation: %s\n",
				core.first_violation);
		exit(ok ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, why_len, "timeout after %us",
			 t->timeout ? t->timeout : 60);
	else if (WIFSIGNALED(status))
		snprintf(why, why_len, "killed by signal %d",
			 WTERMSIG(status));
	return false;
}

/* The first failure line of the child's output, for the verdict. */
static void first_failure(FILE *out, char *why, size_t len)
{
	static const char *const marks[] = { "HX-FAIL: ", "ERROR: AddressSanitizer",
		"ERROR: LeakSanitizer", "runtime error: ", "kernel BUG at ",
		NULL };
	char line[512];
	unsigned int i;

	rewind(out);
	while (fgets(line, sizeof(line), out)) {
		for (i = 0; marks[i]; i++) {
			char *m = strstr(line, marks[i]);

			if (m) {
				m[strcspn(m, "\n")] = 0;
				if (!strncmp(m, "HX-FAIL: ", 9))
					m += 9;
				snprintf(why, len, "%s", m);
				return;
			}
		}
	}
}

static void print_tail(FILE *out, unsigned int lines)
{
	char buf[512];
	long pos;
	unsigned int n = 0;

	fseek(out, 0, SEEK_END);
	pos = ftell(out);
	while (pos > 0 && n <= lines) {
		fseek(out, --pos, SEEK_SET);
		if (fgetc(out) == '\n')
			n++;
	}
	fseek(out, pos ? pos + 1 : 0, SEEK_SET);
	while (fgets(buf, sizeof(buf), out))
		printf("#   %s", buf);
}

int main(int argc, char **argv)
{
	const char *filter = NULL, *results = NULL;
	unsigned int i, n = 0, passed = 0, failed = 0;
	bool list = false, seeded = false;
	FILE *rf = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "s:t:lvr:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			filter = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'r':
			results = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS]\n",
				argv[0]);
			return 2;
		}
	}
	if (!seeded)
		seed = (u64)time(NULL) ^ ((u64)getpid() << 20);
	if (results) {
		rf = fopen(results, "a");
		if (!rf) {
			perror(results);
			return 2;
		}
		/* Unbuffered: forked tests must not write our lines again. */
		setvbuf(rf, NULL, _IONBF, 0);
	}
	if (!list)
		printf("# xen-events 3-level tests, seed %llu (rerun: -s %llu)\n",
		       (unsigned long long)seed, (unsigned long long)seed);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		const struct test *t = &tests[i];
		char name[160], why[400];
		struct timespec t0, t1;
		FILE *out;
		bool ok;

		snprintf(name, sizeof(name), "3level/%s", t->name);
		if (filter && !strstr(name, filter))
			continue;
		if (list) {
			puts(name);
			continue;
		}
		out = tmpfile();
		if (!out) {
			perror("tmpfile");
			return 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = run_one(t, seed ^ name_hash(name), why, sizeof(why), out);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!ok && !why[0])
			first_failure(out, why, sizeof(why));
		if (!ok && !why[0])
			snprintf(why, sizeof(why), "failed");
		n++;
		if (ok) {
			passed++;
			printf("ok %u - %s", n, name);
		} else {
			failed++;
			printf("not ok %u - %s # %s", n, name, why);
		}
		printf("  # %.2fs\n", (t1.tv_sec - t0.tv_sec) +
		       (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (!ok || verbose)
			print_tail(out, verbose ? 400 : 40);
		if (rf) {
			if (ok)
				fprintf(rf, "ok host %s\n", name);
			else
				fprintf(rf, "not ok host %s # %s\n", name, why);
		}
		fclose(out);
	}
	if (rf)
		fclose(rf);
	if (list)
		return 0;
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
