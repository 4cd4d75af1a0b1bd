// SPDX-License-Identifier: GPL-2.0-only
/*
 * The harness core: what events_base.c does around a backend, reduced to
 * what a test needs, plus the bookkeeping that lets a test compare events
 * raised with events delivered.
 *
 * The ABI in use is the core's own business, done by the core's own code:
 * events_abi.c, compiled in unmodified (abi.c), makes an ABI the one in
 * use, chooses one as at boot, and resumes, falling back to 2-level when
 * the new domain refuses the ABI.  The harness only forces the ABI a test
 * asks for (its probe, else 2-level) and plays the run-time switch.
 *
 * The order of operations follows the core's contract in the seam:
 *  - after the probe, every addressable port is masked;
 *  - a new port gets setup() (may sleep), bind_to_cpu() for the vCPU Xen
 *    bound it to, a move with EVTCHNOP_bind_vcpu if another CPU was asked
 *    for, and finally unmask() with interrupts disabled;
 *  - closing masks, closes at Xen, then calls remove();
 *  - the upcall clears evtchn_upcall_pending and calls handle_events()
 *    until the flag stays clear, interrupts disabled;
 *  - a delivered port is acknowledged (clear_pending) before its handler
 *    runs, as handle_edge_irq() acks first.
 *
 * Invariants hx_finish() checks after every test (unless the test said
 * otherwise): every delivery happened inside an upcall, with interrupts
 * disabled, on the CPU whose upcall it was, with that upcall's ctrl; no
 * delivery for a port that is not bound; no delivery on a CPU the port is
 * not bound to; after a final drain, every unmasked bound port has been
 * delivered after the last time its event was raised (nothing lost); no
 * printk at warning level or WARN; no Xen warning; and the pages the
 * backend holds are exactly the ones registered with Xen.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

const struct evtchn_ops *evtchn_ops;

/* Backends whose probe ran in this process (their state outlives a setup). */
static bool probed_once[HX_NR_ABIS];
/* What each probe returned, for a backend that refuses a second probe. */
static const struct evtchn_ops *probed_ops[HX_NR_ABIS];

const char *const hx_abi_name[HX_NR_ABIS] = {
	[HX_2L] = "2l",
	[HX_FIFO] = "fifo",
	[HX_3L] = "3l",
};

/* The keys of events_abi.c's table (xen.evtchn_abi=). */
static const char *const hx_abi_key[HX_NR_ABIS] = {
	[HX_2L] = "2level",
	[HX_FIFO] = "fifo",
	[HX_3L] = "3level",
};

struct evtchn_loop_ctrl {
	unsigned int cpu;
	unsigned long events;
};

#define HX_LOG		BIT(17)
#define HX_UPCALL_LOOPS	1000000
#define HX_DRAIN_ROUNDS	1000000

struct hx_thread {
	pthread_t tid;
	bool started;
	bool stop;
	bool busy;
	void (*fn)(void *arg);
	void *arg;
	bool work;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static struct hx_state {
	bool up;
	enum hx_abi abi;
	unsigned int nr_cpus;
	struct hx_port *port;
	struct evtchn_loop_ctrl *ctrl[NR_CPUS];
	evtchn_port_t virq_port[NR_CPUS][MX_NR_VIRQS];
	u64 delivered;
	u64 stray;
	u64 ctx_violations;
	u64 livelocks;
	u64 bad_port;
	char first_violation[200];
	u32 *log;
	unsigned int log_len;
	struct hx_thread thr[NR_CPUS];
	bool threads;
	bool allow_warnings, allow_stray, allow_xen_warnings, allow_wrong_cpu;
	bool allow_loss;
	unsigned int port_hwm;	/* no port above was ever bound */
} hx;

u64 hx_seed = 1;
bool hx_verbose;

/* ---- Random numbers and failures ------------------------------------------ */

u64 hx_rand(void)
{
	static __thread u64 s;

	if (!s)
		s = hx_seed * 0x9e3779b97f4a7c15ULL + (u64)shim_cpu + 1;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

unsigned int hx_rand_below(unsigned int n)
{
	return n ? (unsigned int)(hx_rand() % n) : 0;
}

void hx_fail(const char *file, int line, const char *func, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "HX-FAIL: %s:%d: %s(): %s\n", file, line, func, msg);
}

void hx_bail(void)
{
	exit(1);
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_add_fetch(&hx.ctx_violations, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(hx.first_violation, sizeof(hx.first_violation), fmt, ap);
	va_end(ap);
}

/* ---- ABI selection ---------------------------------------------------------- */

const struct xevt_abi *hx_xevt_abi(enum hx_abi abi)
{
	return abi < HX_NR_ABIS ? xevt_abi_by_key(hx_abi_key[abi]) : NULL;
}

bool hx_abi_built(enum hx_abi abi)
{
	const struct xevt_abi *xa = hx_xevt_abi(abi);

	return xa && xa->probe;
}

/* Which of ours the core's entry @xa is (2-level if none). */
static enum hx_abi abi_of(const struct xevt_abi *xa)
{
	enum hx_abi abi;

	for (abi = 0; abi < HX_NR_ABIS; abi++)
		if (xa && hx_xevt_abi(abi) == xa)
			return abi;
	return HX_2L;
}

/* The core made @abi's @ops the ABI in use; @ops stays for a re-probe. */
static void use_abi(enum hx_abi abi, const struct evtchn_ops *ops)
{
	xevt_abi_use(hx_xevt_abi(abi), ops);
	hx.abi = abi;
	probed_once[abi] = true;
	probed_ops[abi] = ops;
}

unsigned int xen_evtchn_nr_channels(void)
{
	return evtchn_ops->nr_channels();
}

enum hx_abi hx_abi(void)
{
	return hx.abi;
}

unsigned int hx_nr_cpus(void)
{
	return hx.nr_cpus;
}

unsigned int hx_cpu_of_vcpu(unsigned int vcpu)
{
	unsigned int cpu;

	for (cpu = 0; cpu < hx.nr_cpus; cpu++)
		if (per_cpu(xen_vcpu_id, cpu) == vcpu)
			return cpu;
	return 0;
}

static unsigned int vcpu_of(unsigned int cpu)
{
	return per_cpu(xen_vcpu_id, cpu);
}

static void mask_all(void)
{
	unsigned int port, n = evtchn_ops->nr_channels();

	for (port = 1; port < n; port++)
		evtchn_ops->mask(port);
}

/*
 * The same end state as mask_all(), for the fuzzer's restart between
 * inputs: on 3-level, L3 words whose 64 ports Xen sees masked already
 * are skipped (the backend's resume masked nearly all of them), which
 * saves 262,143 calls per input.
 */
static void mask_all_quick(void)
{
	unsigned int port, n = evtchn_ops->nr_channels();

	for (port = 1; port < n; port++) {
		if (hx.abi == HX_3L && port % MX_3L_W == 0 &&
		    mx_3l_word_masked(port)) {
			port += MX_3L_W - 1;
			continue;
		}
		evtchn_ops->mask(port);
	}
}

/*
 * Make @abi the ABI in use, as a test wants it: its probe, and 2-level
 * when that fails, as the core always has 2-level to carry on with.
 * Returns the probe's result.
 */
static int force_abi(enum hx_abi abi)
{
	const struct evtchn_ops *ops = NULL;
	int rc;

	if (!hx_abi_built(abi)) {
		fprintf(stderr, "ABI %s is not built\n", hx_abi_name[abi]);
		return -ENODEV;
	}
	rc = hx_xevt_abi(abi)->probe(&ops);
	if (rc < 0) {
		if (!hx_abi_built(HX_2L) || xevt_abi_2level()->probe(&ops))
			return rc;
		abi = HX_2L;
	}
	if (!ops) {
		fprintf(stderr, "probe returned %d without ops\n", rc);
		return -EINVAL;
	}
	use_abi(abi, ops);
	return rc;
}

/* The core's choice at boot (xen_init_IRQ()), every backend built. */
static int choose_abi(const struct hx_opts *opts)
{
	enum hx_abi abi;
	int rc;

	for (abi = 0; abi < HX_NR_ABIS; abi++)
		if (!hx_abi_built(abi))
			return -ENODEV;
	rc = xevt_abi_choose(opts->boot_abi ? opts->boot_abi : "",
			     !opts->fifo_events_off);
	if (rc)
		return rc;
	use_abi(abi_of(xevt_abi_current()), evtchn_ops);
	return 0;
}

int hx_setup(const struct hx_opts *opts)
{
	struct mx_config mc = {
		.nr_vcpus = opts->nr_cpus ? opts->nr_cpus : 2,
		.max_evtchn_port = opts->max_evtchn_port,
		.no_fifo = opts->no_fifo,
		.no_3l = opts->no_3l,
		.domu = opts->domu,
		.l3_odd_geometry = opts->l3_odd_geometry,
	};
	unsigned int cpu;
	int rc;

	memset(&hx, 0, sizeof(hx));
	hx.nr_cpus = mc.nr_vcpus;
	hx.abi = opts->abi;
	if (mx_create(&mc))
		return -ENOMEM;
	hx.port = calloc(MX_MAX_PORTS, sizeof(*hx.port));
	hx.log = calloc(HX_LOG, sizeof(*hx.log));
	if (!hx.port || !hx.log)
		return -ENOMEM;

	shim_cpus_init(hx.nr_cpus);
	xen_domain_type = opts->hvm ? XEN_HVM_DOMAIN : XEN_PV_DOMAIN;
	HYPERVISOR_shared_info = mx_shared_info();
	for (cpu = 0; cpu < hx.nr_cpus; cpu++) {
		unsigned int id = opts->permute_vcpus ?
				  (cpu + 1) % hx.nr_cpus : cpu;

		per_cpu(xen_vcpu_id, cpu) = id;
		per_cpu(xen_vcpu, cpu) = mx_vcpu_info(id);
	}
	shim_set_cpu(0);
	shim_set_cpu_online(0, true);
	hx.up = true;
	if (opts->before_probe)
		opts->before_probe();

	rc = opts->boot_choice ? choose_abi(opts) : force_abi(opts->abi);
	if (!evtchn_ops)
		return rc;
	mask_all();
	for (cpu = 1; cpu < hx.nr_cpus; cpu++) {
		int err = evtchn_op_percpu(cpu, true);

		if (err) {
			fprintf(stderr, "percpu_init(%u) = %d\n", cpu, err);
			return err;
		}
		shim_set_cpu_online(cpu, true);
	}
	return rc;
}

int hx_setup_abi(enum hx_abi abi, unsigned int nr_cpus)
{
	struct hx_opts o = { .abi = abi, .nr_cpus = nr_cpus };

	return hx_setup(&o);
}

void hx_teardown(void)
{
	if (!hx.up)
		return;
	hx_threads_stop();
	mx_destroy();
	free(hx.port);
	free(hx.log);
	hx.port = NULL;
	hx.log = NULL;
	hx.up = false;
	xevt_abi_use(NULL, NULL);
}

void hx_allow_warnings(void)
{
	hx.allow_warnings = true;
}

void hx_allow_stray(void)
{
	hx.allow_stray = true;
}

void hx_allow_xen_warnings(void)
{
	hx.allow_xen_warnings = true;
}

void hx_allow_wrong_cpu(void)
{
	hx.allow_wrong_cpu = true;
}

void hx_allow_loss(void)
{
	hx.allow_loss = true;
}

/* ---- Binding ------------------------------------------------------------------ */

struct hx_port *hx_port(evtchn_port_t port)
{
	return port < MX_MAX_PORTS ? &hx.port[port] : NULL;
}

static int evtchn_op(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

static void unmask_irqs_off(evtchn_port_t port)
{
	unsigned long flags;

	local_irq_save(flags);
	evtchn_ops->unmask(port);
	local_irq_restore(flags);
}

static void close_at_xen(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	evtchn_op(EVTCHNOP_close, &c);
}

/*
 * A port Xen just gave us: prepare it, attach it to the CPU Xen delivers
 * it to, move it if another CPU was asked for, then enable it.
 */
static int attach(evtchn_port_t port, enum hx_kind kind, unsigned int cpu,
		  bool movable)
{
	struct hx_port *p = &hx.port[port];
	struct mx_port_info info;
	unsigned int xen_cpu;
	int rc;

	rc = evtchn_op_setup(port);
	if (rc) {
		close_at_xen(port);
		return rc;
	}
	if (port > hx.port_hwm)
		hx.port_hwm = port;
	if (kind != HX_LOOP) {
		/* A new user of the number: its counts start now. */
		p->raised = 0;
		p->seen = 0;
	}
	mx_port_info(port, &info);
	xen_cpu = hx_cpu_of_vcpu(info.vcpu);
	__atomic_store_n(&p->cpu, xen_cpu, __ATOMIC_SEQ_CST);
	p->kind = kind;
	p->masked = false;
	evtchn_ops->bind_to_cpu(port, xen_cpu, xen_cpu);
	__atomic_store_n(&p->bound, true, __ATOMIC_SEQ_CST);
	if (movable && cpu != xen_cpu) {
		struct evtchn_bind_vcpu bv = { .port = port, .vcpu = vcpu_of(cpu) };

		rc = evtchn_op(EVTCHNOP_bind_vcpu, &bv);
		if (rc) {
			__atomic_store_n(&p->bound, false, __ATOMIC_SEQ_CST);
			evtchn_ops->mask(port);
			close_at_xen(port);
			evtchn_op_remove(port, xen_cpu);
			return rc;
		}
		evtchn_ops->bind_to_cpu(port, cpu, xen_cpu);
		__atomic_store_n(&p->cpu, cpu, __ATOMIC_SEQ_CST);
	}
	unmask_irqs_off(port);
	return 0;
}

int hx_bind_ipi(unsigned int cpu)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu_of(cpu) };
	int rc = evtchn_op(EVTCHNOP_bind_ipi, &b);

	if (rc)
		return rc;
	rc = attach(b.port, HX_IPI, cpu, false);
	return rc ? rc : (int)b.port;
}

int hx_bind_peer(unsigned int cpu)
{
	struct evtchn_alloc_unbound a = {
		.dom = DOMID_SELF,
		.remote_dom = MX_PEER_DOMID,
	};
	int rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);

	if (rc)
		return rc;
	rc = mx_peer_connect(a.port);
	if (rc) {
		close_at_xen(a.port);
		return rc;
	}
	rc = attach(a.port, HX_PEER, cpu, true);
	return rc ? rc : (int)a.port;
}

int hx_bind_loop(unsigned int cpu_a, unsigned int cpu_b,
		 evtchn_port_t *a, evtchn_port_t *b)
{
	struct evtchn_alloc_unbound au = {
		.dom = DOMID_SELF,
		.remote_dom = DOMID_SELF,
	};
	struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
	int rc = evtchn_op(EVTCHNOP_alloc_unbound, &au);

	if (rc)
		return rc;
	rc = attach(au.port, HX_LOOP, cpu_a, true);
	if (rc)
		return rc;
	bi.remote_port = au.port;
	rc = evtchn_op(EVTCHNOP_bind_interdomain, &bi);
	if (rc) {
		hx_close(au.port);
		return rc;
	}
	/* Xen raises the binding end once ("we may have lost notifications"). */
	__atomic_add_fetch(&hx.port[bi.local_port].raised, 1, __ATOMIC_SEQ_CST);
	rc = attach(bi.local_port, HX_LOOP, cpu_b, true);
	if (rc) {
		hx_close(au.port);
		return rc;
	}
	hx.port[au.port].partner = bi.local_port;
	hx.port[bi.local_port].partner = au.port;
	*a = au.port;
	*b = bi.local_port;
	return 0;
}

int hx_bind_virq(unsigned int virq, unsigned int cpu)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu_of(cpu) };
	int rc = evtchn_op(EVTCHNOP_bind_virq, &b);

	if (rc)
		return rc;
	if (virq < MX_NR_VIRQS)
		hx.virq_port[cpu][virq] = b.port;
	rc = attach(b.port, HX_VIRQ, cpu, false);
	return rc ? rc : (int)b.port;
}

int hx_bind_many(enum hx_kind kind, unsigned int n, evtchn_port_t *ports)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int cpu = i % hx.nr_cpus;
		int port = kind == HX_PEER ? hx_bind_peer(cpu) : hx_bind_ipi(cpu);

		if (port < 0)
			return port;
		if (ports)
			ports[i] = port;
	}
	return 0;
}

int hx_close(evtchn_port_t port)
{
	struct hx_port *p = hx_port(port);
	unsigned int cpu, virq;
	int rc;

	if (!p || !p->bound)
		return -EINVAL;
	evtchn_ops->mask(port);
	__atomic_store_n(&p->bound, false, __ATOMIC_SEQ_CST);
	cpu = p->cpu;
	p->kind = HX_NONE;
	{
		struct evtchn_close c = { .port = port };

		rc = evtchn_op(EVTCHNOP_close, &c);
	}
	evtchn_op_remove(port, cpu);
	for (virq = 0; virq < MX_NR_VIRQS; virq++)
		if (hx.virq_port[cpu][virq] == port)
			hx.virq_port[cpu][virq] = 0;
	if (p->partner)
		hx.port[p->partner].partner = 0;
	p->partner = 0;
	p->kind = HX_NONE;
	/* The counts start again with the port's next user. */
	p->raised = 0;
	p->seen = 0;
	p->delivered = 0;
	p->wrong_cpu = 0;
	memset(p->per_cpu, 0, sizeof(p->per_cpu));
	return rc;
}

/* Move @port to @cpu; @bracket: masked around it, as the core does. */
static int move_port(evtchn_port_t port, unsigned int cpu, bool bracket)
{
	struct hx_port *p = hx_port(port);
	struct evtchn_bind_vcpu bv = { .port = port, .vcpu = vcpu_of(cpu) };
	unsigned int old;
	int rc;

	if (!p || !p->bound)
		return -EINVAL;
	old = p->cpu;
	if (bracket)
		evtchn_ops->mask(port);
	rc = evtchn_op(EVTCHNOP_bind_vcpu, &bv);
	if (!rc) {
		evtchn_ops->bind_to_cpu(port, cpu, old);
		__atomic_store_n(&p->cpu, cpu, __ATOMIC_SEQ_CST);
	}
	if (bracket && !p->masked)
		unmask_irqs_off(port);
	return rc;
}

int hx_rebind(evtchn_port_t port, unsigned int cpu)
{
	return move_port(port, cpu, true);
}

int hx_rebind_unmasked(evtchn_port_t port, unsigned int cpu)
{
	return move_port(port, cpu, false);
}

int hx_set_priority(evtchn_port_t port, unsigned int prio)
{
	return evtchn_op_set_priority(port, prio);
}

void hx_mask(evtchn_port_t port)
{
	hx.port[port].masked = true;
	evtchn_ops->mask(port);
}

void hx_unmask(evtchn_port_t port)
{
	hx.port[port].masked = false;
	unmask_irqs_off(port);
}

unsigned long hx_unmask_counted(evtchn_port_t port, unsigned int cpu)
{
	unsigned long calls = mx_stats()->calls[EVTCHNOP_unmask];

	shim_set_cpu(cpu);
	hx_unmask(port);
	shim_set_cpu(0);
	return mx_stats()->calls[EVTCHNOP_unmask] - calls;
}

int hx_send(evtchn_port_t port)
{
	struct hx_port *p = hx_port(port);
	struct evtchn_send s = { .port = port };
	evtchn_port_t target = 0;

	if (p && p->kind == HX_IPI)
		target = port;
	else if (p && p->kind == HX_LOOP)
		target = p->partner;
	if (target)
		__atomic_add_fetch(&hx.port[target].raised, 1, __ATOMIC_SEQ_CST);
	return evtchn_op(EVTCHNOP_send, &s);
}

int hx_raise(evtchn_port_t port)
{
	struct hx_port *p = hx_port(port);

	if (!p)
		return -EINVAL;
	switch (p->kind) {
	case HX_IPI:
		return hx_send(port);
	case HX_LOOP:
		return p->partner ? hx_send(p->partner) : -EINVAL;
	case HX_PEER: {
		int rc;

		/* Counted before it can be delivered; uncounted if it was not. */
		__atomic_add_fetch(&p->raised, 1, __ATOMIC_SEQ_CST);
		rc = mx_peer_send(port);
		if (rc)
			__atomic_sub_fetch(&p->raised, 1, __ATOMIC_SEQ_CST);
		return rc;
	}
	case HX_VIRQ: {
		struct mx_port_info info;
		int rc;

		mx_port_info(port, &info);
		__atomic_add_fetch(&p->raised, 1, __ATOMIC_SEQ_CST);
		rc = mx_raise_virq(info.vcpu, info.virq);
		if (rc)
			__atomic_sub_fetch(&p->raised, 1, __ATOMIC_SEQ_CST);
		return rc;
	}
	default:
		return -EINVAL;
	}
}

/* ---- What the core provides to backends -------------------------------------- */

static void log_delivery(unsigned int cpu, evtchn_port_t port)
{
	unsigned int i = __atomic_fetch_add(&hx.log_len, 1, __ATOMIC_SEQ_CST);

	if (i < HX_LOG)
		hx.log[i] = port | (u32)cpu << 24;
}

void evtchn_handle_port(evtchn_port_t port, struct evtchn_loop_ctrl *ctrl)
{
	unsigned int cpu = shim_cpu;
	struct hx_port *p;
	u64 raised, seen;

	if (!shim_in_irq)
		violation("port %u delivered outside an upcall", port);
	else if (!irqs_disabled())
		violation("port %u delivered with interrupts enabled", port);
	else if (ctrl != hx.ctrl[cpu])
		violation("port %u delivered on cpu%u with a foreign ctrl", port, cpu);
	if (port >= MX_MAX_PORTS || !port) {
		__atomic_add_fetch(&hx.bad_port, 1, __ATOMIC_SEQ_CST);
		violation("delivery of impossible port %u", port);
		return;
	}
	if (ctrl)
		ctrl->events++;
	log_delivery(cpu, port);
	p = &hx.port[port];
	if (!__atomic_load_n(&p->bound, __ATOMIC_SEQ_CST)) {
		/* The core finds no IRQ for it and ignores it. */
		__atomic_add_fetch(&p->stray, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&hx.stray, 1, __ATOMIC_SEQ_CST);
		return;
	}
	/* handle_edge_irq(): acknowledge first, then run the handler. */
	evtchn_ops->clear_pending(port);
	/* The acknowledgment before the read of raised (see hx_raise()). */
	smp_mb();
	raised = __atomic_load_n(&p->raised, __ATOMIC_SEQ_CST);
	seen = __atomic_load_n(&p->seen, __ATOMIC_SEQ_CST);
	while (seen < raised &&
	       !__atomic_compare_exchange_n(&p->seen, &seen, raised, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	__atomic_add_fetch(&p->delivered, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&hx.delivered, 1, __ATOMIC_SEQ_CST);
	if (cpu < ARRAY_SIZE(p->per_cpu))
		__atomic_add_fetch(&p->per_cpu[cpu], 1, __ATOMIC_SEQ_CST);
	if (cpu != __atomic_load_n(&p->cpu, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&p->wrong_cpu, 1, __ATOMIC_SEQ_CST);
	if (p->hook)
		p->hook(port, p->hook_arg);
}

evtchn_port_t evtchn_percpu_virq_port(unsigned int cpu, unsigned int virq)
{
	if (cpu >= ARRAY_SIZE(hx.virq_port) || virq >= MX_NR_VIRQS)
		return 0;
	return hx.virq_port[cpu][virq];
}

void hx_set_hook(evtchn_port_t port, void (*fn)(evtchn_port_t, void *), void *arg)
{
	hx.port[port].hook_arg = arg;
	hx.port[port].hook = fn;
}

u64 hx_total_delivered(void)
{
	return __atomic_load_n(&hx.delivered, __ATOMIC_SEQ_CST);
}

u64 hx_total_stray(void)
{
	return __atomic_load_n(&hx.stray, __ATOMIC_SEQ_CST);
}

void hx_log_reset(void)
{
	__atomic_store_n(&hx.log_len, 0, __ATOMIC_SEQ_CST);
}

unsigned int hx_log_len(void)
{
	return min(__atomic_load_n(&hx.log_len, __ATOMIC_SEQ_CST), HX_LOG);
}

evtchn_port_t hx_log_port(unsigned int i)
{
	return hx.log[i] & 0xffffff;
}

unsigned int hx_log_cpu(unsigned int i)
{
	return hx.log[i] >> 24;
}

/* ---- Upcalls -------------------------------------------------------------------- */

bool hx_upcall_pending(unsigned int cpu)
{
	return READ_ONCE(per_cpu(xen_vcpu, cpu)->evtchn_upcall_pending);
}

void hx_upcall(unsigned int cpu)
{
	struct vcpu_info *vi = per_cpu(xen_vcpu, cpu);
	struct evtchn_loop_ctrl ctrl = { .cpu = cpu };
	int saved_cpu = shim_cpu;
	bool saved_irqs = shim_irqs_off;
	unsigned int loops = 0;

	shim_set_cpu(cpu);
	shim_irqs_off = true;
	shim_in_irq++;
	hx.ctrl[cpu] = &ctrl;
	do {
		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		evtchn_ops->handle_events(cpu, &ctrl);
		/* Pairs with Xen's set of the flag after it queued events. */
		virt_rmb();
	} while (READ_ONCE(vi->evtchn_upcall_pending) && ++loops < HX_UPCALL_LOOPS);
	if (loops >= HX_UPCALL_LOOPS)
		__atomic_add_fetch(&hx.livelocks, 1, __ATOMIC_SEQ_CST);
	hx.ctrl[cpu] = NULL;
	shim_in_irq--;
	shim_irqs_off = saved_irqs;
	shim_cpu = saved_cpu;
}

unsigned int hx_drain(void)
{
	unsigned int rounds, cpu, upcalls = 0;
	bool any;

	for (rounds = 0; rounds < HX_DRAIN_ROUNDS; rounds++) {
		any = false;
		for_each_online_cpu(cpu) {
			if (hx_upcall_pending(cpu)) {
				hx_upcall(cpu);
				upcalls++;
				any = true;
			}
		}
		if (!any)
			return upcalls;
	}
	__atomic_add_fetch(&hx.livelocks, 1, __ATOMIC_SEQ_CST);
	return upcalls;
}

/* ---- CPU hotplug and resume ------------------------------------------------------ */

int hx_cpu_down_keep_ports(unsigned int cpu)
{
	unsigned int to = cpumask_first(cpu_online_mask);
	int saved = shim_cpu;
	int rc;

	if (to == cpu)
		to = cpumask_next(cpu, cpu_online_mask);
	if (to >= nr_cpu_ids)
		return -EBUSY;
	shim_set_cpu_online(cpu, false);
	/* The dead CPU's teardown runs on a surviving CPU. */
	shim_set_cpu(to);
	rc = evtchn_op_percpu(cpu, false);
	shim_cpu = saved;
	return rc;
}

/*
 * Take @cpu down as Linux does: fixup_irqs() moves every movable port to
 * @to, the Xen SMP code closes the CPU's IPIs and per-CPU VIRQs, and the
 * dead CPU's percpu_deinit runs on a surviving CPU.
 */
int hx_cpu_down(unsigned int cpu, unsigned int to)
{
	evtchn_port_t port;
	int saved = shim_cpu;
	int rc = 0;

	if (cpu == to || !cpu_online(to))
		return -EINVAL;
	/* fixup_irqs(): everything movable leaves the CPU first. */
	shim_set_cpu(to);
	for (port = 1; port <= hx.port_hwm && !rc; port++) {
		struct hx_port *p = &hx.port[port];

		if (!p->bound || p->cpu != cpu)
			continue;
		if (p->kind == HX_PEER || p->kind == HX_LOOP)
			rc = hx_rebind(port, to);
		else
			/* Its IPIs and timer go (xen_smp_intr_free()). */
			rc = hx_close(port);
	}
	shim_cpu = saved;
	return rc ? rc : hx_cpu_down_keep_ports(cpu);
}

int hx_cpu_up(unsigned int cpu)
{
	int saved = shim_cpu;
	int rc;

	shim_set_cpu(cpumask_first(cpu_online_mask));
	rc = evtchn_op_percpu(cpu, true);
	shim_cpu = saved;
	if (!rc)
		shim_set_cpu_online(cpu, true);
	return rc;
}

/* The core forgets every binding: their port numbers mean nothing now. */
static void forget_bindings(void)
{
	memset(hx.port, 0, (hx.port_hwm + 1) * sizeof(*hx.port));
	hx.port_hwm = 0;
	memset(hx.virq_port, 0, sizeof(hx.virq_port));
}

/*
 * xen_irq_resume()'s first step, on CPU 0 with interrupts off: the core's
 * xevt_abi_resume(), which runs the backend's resume and carries on with
 * 2-level if the domain refuses the ABI.  Returns what it found.
 */
static int core_resume(void)
{
	unsigned long flags;
	int ret;

	shim_set_cpu(0);
	local_irq_save(flags);
	ret = xevt_abi_resume();
	local_irq_restore(flags);
	hx.abi = abi_of(xevt_abi_current());
	return ret;
}

/* Suspend: the CPUs but CPU 0 go down, their ports left bound. */
static int suspend_cpus(void)
{
	unsigned int cpu;
	int rc;

	for (cpu = 1; cpu < hx.nr_cpus; cpu++) {
		if (cpu_online(cpu)) {
			rc = hx_cpu_down_keep_ports(cpu);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ... and come back after the resume. */
static int resume_cpus(void)
{
	unsigned int cpu;
	int rc;

	for (cpu = 1; cpu < hx.nr_cpus; cpu++) {
		rc = hx_cpu_up(cpu);
		if (rc)
			return rc;
	}
	return 0;
}

int hx_resume_to(void (*host)(void))
{
	int rc = suspend_cpus();

	if (rc)
		return rc;
	/* The domain comes back as a new one: Xen knows nothing of us. */
	mx_new_domain();
	if (host)
		host();
	forget_bindings();
	/*
	 * As xen_irq_resume(), nothing is masked here: tests see the ports
	 * as the backend's resume, or the core's fallback, leaves them.
	 */
	core_resume();
	return resume_cpus();
}

/*
 * EVTCHNOP_reset of ourselves with every CPU up, as a 3-level probe's undo
 * does during a run-time switch: Xen closes every port; the core's
 * xevt_abi_reset() (in stop_machine(): CPU 0, interrupts off) masks every
 * port, and every binding is gone.
 */
int hx_reset_domain(void)
{
	struct evtchn_reset r = { .dom = DOMID_SELF };
	unsigned long flags;
	int rc;

	rc = evtchn_op(EVTCHNOP_reset, &r);
	if (rc)
		return rc;
	shim_set_cpu(0);
	local_irq_save(flags);
	xevt_abi_reset();
	local_irq_restore(flags);
	forget_bindings();
	return 0;
}

int hx_resume(void)
{
	return hx_resume_to(NULL);
}

/*
 * Xen kept the domain through the suspend.  When the guest was told so
 * (SCHEDOP_shutdown returned 1: cancelled), the core does nothing to the
 * event channels (drivers/xen/manage.c skips xen_irq_resume()).  When it
 * was told it is a new domain (a toolstack's slow resume), the core runs
 * xen_irq_resume(): the backend's resume first, and if that finds the
 * domain kept, nothing more, every binding stays on its port.  Otherwise
 * the core forgets every binding as for a new domain (hx_resume() without
 * the model's new domain): the ports stay in use at Xen, no longer ours,
 * and what was queued on them is lost; a test sees it.  The CPUs stay up:
 * suspend runs in stop_machine().
 */
int hx_resume_in_place(bool told_new)
{
	if (!told_new || core_resume() == EVTCHN_RESUME_KEPT)
		return 0;
	forget_bindings();
	mask_all();
	return 0;
}

/*
 * The run-time switch (events_setup.c's), played on the harness's own
 * bookkeeping.  Xen carries each port's pending bit over when it moves
 * the domain off 2-level; one that arrived meanwhile is moved by hand.
 */
int hx_switch_abi(enum hx_abi to)
{
	const struct evtchn_ops *from = evtchn_ops, *ops = NULL;
	evtchn_port_t port;
	unsigned int cpu;
	int rc;

	if (hx.abi != HX_2L)
		return -EBUSY;
	if (!hx_abi_built(to))
		return -ENODEV;
	for (port = 1; port <= hx.port_hwm; port++)
		if (hx.port[port].bound)
			from->mask(port);

	rc = hx_xevt_abi(to)->probe(&ops);
	if (!rc) {
		for_each_online_cpu(cpu) {
			rc = __evtchn_op_percpu(ops, cpu, true);
			if (rc)
				return rc;
		}
		for (port = 1; port <= hx.port_hwm; port++) {
			struct hx_port *p = &hx.port[port];

			if (!p->bound)
				continue;
			rc = __evtchn_op_setup(ops, port);
			if (rc)
				return rc;
			ops->bind_to_cpu(port, p->cpu, p->cpu);
			if (!from->is_pending(port))
				continue;
			from->clear_pending(port);
			ops->set_pending(port);
		}
		use_abi(to, ops);
	}

	for (port = 1; port <= hx.port_hwm; port++)
		if (hx.port[port].bound && !hx.port[port].masked)
			unmask_irqs_off(port);
	return rc;
}

/* ---- vCPU threads ----------------------------------------------------------------- */

static void *vcpu_thread(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct hx_thread *t = &hx.thr[cpu];
	unsigned int vid = vcpu_of(cpu);

	shim_set_cpu(cpu);
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		unsigned int seq = mx_kick_seq(vid);

		if (__atomic_load_n(&t->work, __ATOMIC_ACQUIRE)) {
			t->fn(t->arg);
			pthread_mutex_lock(&t->lock);
			t->work = false;
			t->done = true;
			pthread_cond_broadcast(&t->cond);
			pthread_mutex_unlock(&t->lock);
			continue;
		}
		if (hx_upcall_pending(cpu) && cpu_online(cpu)) {
			__atomic_store_n(&t->busy, true, __ATOMIC_SEQ_CST);
			hx_upcall(cpu);
			__atomic_store_n(&t->busy, false, __ATOMIC_SEQ_CST);
			continue;
		}
		mx_wait_kick(vid, seq, 2000);
	}
	return NULL;
}

void hx_threads_start(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct hx_thread *t = &hx.thr[cpu];

		memset(t, 0, sizeof(*t));
		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->cond, NULL);
		if (pthread_create(&t->tid, NULL, vcpu_thread,
				   (void *)(uintptr_t)cpu) == 0)
			t->started = true;
	}
	hx.threads = true;
}

void hx_threads_stop(void)
{
	unsigned int cpu;

	if (!hx.threads)
		return;
	for (cpu = 0; cpu < ARRAY_SIZE(hx.thr); cpu++) {
		struct hx_thread *t = &hx.thr[cpu];

		if (!t->started)
			continue;
		__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
		mx_kick(vcpu_of(cpu));
		pthread_join(t->tid, NULL);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		t->started = false;
	}
	hx.threads = false;
}

static bool all_idle(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct hx_thread *t = &hx.thr[cpu];

		if (hx_upcall_pending(cpu) ||
		    __atomic_load_n(&t->busy, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&t->work, __ATOMIC_SEQ_CST))
			return false;
	}
	return true;
}

bool hx_threads_quiesce(unsigned int ms)
{
	struct timespec ts = { .tv_nsec = 1000000 };
	unsigned int waited = 0;

	while (waited < ms) {
		if (all_idle()) {
			nanosleep(&ts, NULL);
			if (all_idle())
				return true;
		}
		nanosleep(&ts, NULL);
		waited++;
	}
	return false;
}

void hx_call_on(unsigned int cpu, void (*fn)(void *), void *arg)
{
	struct hx_thread *t = &hx.thr[cpu];
	int saved;

	if (!hx.threads || !t->started) {
		saved = shim_cpu;
		shim_set_cpu(cpu);
		fn(arg);
		shim_cpu = saved;
		return;
	}
	pthread_mutex_lock(&t->lock);
	t->fn = fn;
	t->arg = arg;
	t->done = false;
	__atomic_store_n(&t->work, true, __ATOMIC_RELEASE);
	mx_kick(vcpu_of(cpu));
	while (!t->done)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

int hx_in_child(int (*fn)(void *arg), void *arg)
{
	int status, code;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		code = fn(arg);
		if (!code && !hx_finish())
			code = 1;
		fflush(NULL);
		exit(code);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- The invariants ------------------------------------------------------------------ */

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			hx_fail(__FILE__, __LINE__, "hx_finish", __VA_ARGS__); \
			ok = false;					\
		}							\
	} while (0)

/* Distinct guest pages Xen maps: control blocks and event array pages. */
static long pages_registered(void)
{
	void *seen[MX_MAX_VCPUS];
	unsigned int n = 0, i, vcpu;

	for (vcpu = 0; vcpu < mx_nr_vcpus(); vcpu++) {
		void *pg = mx_fifo_control_block(vcpu);

		if (!pg)
			continue;
		pg = (void *)((unsigned long)pg & PAGE_MASK);
		for (i = 0; i < n && seen[i] != pg; i++)
			;
		if (i == n)
			seen[n++] = pg;
	}
	return n + mx_fifo_pages() + mx_3l_pages();
}

/* The invariants, after a final drain; the state is left as it is. */
bool hx_check_invariants(void)
{
	bool ok = true;
	evtchn_port_t port;
	unsigned int lost = 0, first_lost = 0, wrong = 0, first_wrong = 0;

	hx_drain();

	CHECK(!hx.ctx_violations, "%llu delivery context violations, first: %s",
	      (unsigned long long)hx.ctx_violations, hx.first_violation);
	CHECK(!hx.livelocks, "upcall or drain did not terminate (%llu times)",
	      (unsigned long long)hx.livelocks);
	CHECK(hx.allow_stray || !hx.stray, "%llu deliveries for unbound ports",
	      (unsigned long long)hx.stray);
	for (port = 1; port <= hx.port_hwm; port++) {
		struct hx_port *p = &hx.port[port];

		if (p->bound && !p->masked && p->seen < p->raised) {
			if (!lost++)
				first_lost = port;
		}
		if (p->wrong_cpu && !wrong++)
			first_wrong = port;
	}
	CHECK(hx.allow_loss || !lost,
	      "%u ports lost events, first port %u (raised %llu, seen %llu)",
	      lost, first_lost, (unsigned long long)hx.port[first_lost].raised,
	      (unsigned long long)hx.port[first_lost].seen);
	CHECK(hx.allow_wrong_cpu || !wrong,
	      "%u ports delivered on a CPU they are not bound to, first %u",
	      wrong, first_wrong);
	CHECK(hx.allow_warnings || !shim_nr_warnings(),
	      "%u unexpected warnings", shim_nr_warnings());
	CHECK(hx.allow_xen_warnings || !mx_stats()->xen_warnings,
	      "%lu unexpected Xen warnings", mx_stats()->xen_warnings);
	CHECK(hx.allow_xen_warnings || !mx_stats()->lost_events,
	      "Xen lost %lu events", mx_stats()->lost_events);
	CHECK(!mx_stats()->cleared_under_busy,
	      "the guest cleared MASKED while Xen held BUSY (%lu times)",
	      mx_stats()->cleared_under_busy);
	/*
	 * Pages: what Xen maps must still be allocated (else Xen writes into
	 * freed memory), and the backend holds at most one control block per
	 * CPU plus a full event array, spares included; LeakSanitizer at exit
	 * catches pages dropped on the floor.
	 */
	CHECK(mx_registered_pages_live(), "Xen maps a page the guest freed");
	CHECK(shim_pages_live() >= pages_registered() &&
	      shim_pages_live() <= (long)(hx.nr_cpus + MX_FIFO_MAX_PAGES),
	      "page accounting: %ld pages live, %ld registered with Xen",
	      shim_pages_live(), pages_registered());
	return ok;
}

bool hx_finish(void)
{
	bool ok = true;

	if (!hx.up) {
		/* A test of the model alone: it must leave nothing behind. */
		mx_destroy();
		CHECK(!shim_pages_live(), "leak check: %ld pages live",
		      shim_pages_live());
		CHECK(hx.allow_warnings || !shim_nr_warnings(),
		      "%u unexpected warnings", shim_nr_warnings());
		return ok;
	}
	hx_threads_stop();
	ok = hx_check_invariants();
	/*
	 * 2-level needs no memory: unless another ABI was in use and keeps
	 * its pages for a later probe, only pages Xen still maps (a failed
	 * probe whose reset Xen refused) may be left.
	 */
	CHECK(hx.abi != HX_2L || probed_once[HX_FIFO] || probed_once[HX_3L] ||
	      shim_pages_live() == pages_registered(),
	      "leak check: the 2-level ABI holds %ld pages, Xen maps %ld",
	      shim_pages_live(), pages_registered());
	hx_teardown();
	return ok;
}

/*
 * Start over in a new domain on @abi, with the backends' state as a
 * suspend/resume leaves it (the fuzzer's reset between inputs): the CPUs
 * go down, the model forgets everything, @abi's resume runs, the CPUs
 * come back.  The FIFO backend must have been probed once before.
 */
int hx_restart(enum hx_abi abi)
{
	const struct evtchn_ops *ops = NULL;
	unsigned int cpu;
	bool again;
	int rc;

	rc = suspend_cpus();
	if (rc)
		return rc;
	for (cpu = 1; cpu < hx.nr_cpus; cpu++)
		shim_set_cpu_online(cpu, false);
	mx_new_domain();
	memset(mx_stats(), 0, sizeof(*mx_stats()));
	forget_bindings();
	hx.delivered = 0;
	hx.stray = 0;
	hx.ctx_violations = 0;
	hx.livelocks = 0;
	hx.bad_port = 0;
	hx.log_len = 0;
	hx.allow_warnings = false;
	hx.allow_stray = false;
	hx.allow_xen_warnings = false;
	hx.allow_wrong_cpu = false;
	hx.allow_loss = false;
	shim_log_reset();

	shim_set_cpu(0);
	if (!hx_abi_built(abi))
		return -ENODEV;
	rc = hx_xevt_abi(abi)->probe(&ops);
	/* 3-level refuses a second probe (-EBUSY): its resume re-registers. */
	if (rc == -EBUSY && probed_ops[abi]) {
		ops = probed_ops[abi];
		rc = 0;
	}
	if (rc || !ops)
		return rc ? rc : -EINVAL;
	again = probed_once[abi];
	use_abi(abi, ops);
	/*
	 * A backend probed before holds state from an earlier domain: its
	 * resume, through the core's, is what registers it with this one.
	 * A first probe just did.
	 */
	if (again && (core_resume() != EVTCHN_RESUMED || hx.abi != abi))
		return -EIO;
	mask_all_quick();
	return resume_cpus();
}
