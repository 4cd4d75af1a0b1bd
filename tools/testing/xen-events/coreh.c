// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core program's harness (coreh.h): boots the real core on the model
 * with its own xen_init_IRQ(), binds through the kernel API, takes upcalls
 * through xen_evtchn_do_upcall(), and checks after every test:
 *
 *  - every handler ran in hard IRQ context with interrupts off, and never
 *    on two CPUs at once for the same IRQ, and never after its
 *    unbind_from_irqhandler() returned;
 *  - every genirq flow ran in hard IRQ context; generic_handle_irq() never
 *    met a freed descriptor (the core's RCU rule: the record and the IRQ
 *    are freed only after a grace period);
 *  - no printk at warning level or WARN (unless the test allowed it), no
 *    Xen warning, no lost event at Xen, no hypercall the model does not
 *    serve.
 */
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coreh.h"

#pragma weak evtchn_2l_probe
#pragma weak evtchn_fifo_probe
#pragma weak evtchn_3l_probe

const char *const ch_abi_name[CH_NR_ABIS] = {
	[CH_2L] = "2l",
	[CH_FIFO] = "fifo",
	[CH_3L] = "3l",
};

/* The keys of events_abi.c's table (xen.evtchn_abi=). */
static const char *const ch_abi_key[CH_NR_ABIS] = {
	[CH_2L] = "2level",
	[CH_FIFO] = "fifo",
	[CH_3L] = "3level",
};

u64 ch_seed = 1;
bool ch_verbose;

struct ch_thread {
	pthread_t tid;
	bool started;
	bool stop;
	bool busy;
	bool parked;
};

static struct {
	bool up;
	unsigned int nr_cpus, nr_upcall;
	struct ch_thread thr[NR_CPUS];
	bool threads;
	bool parked;		/* stop_machine(): vCPU threads hold still */
	bool allow_warnings;
	unsigned long handler_ctx_bad;
	unsigned long handler_overlap;
	unsigned long handler_after_unbind;
	unsigned long livelocks;
} ch;

bool ch_abi_built(enum ch_abi abi)
{
	switch (abi) {
	case CH_2L:
		return evtchn_2l_probe;
	case CH_FIFO:
		return evtchn_fifo_probe;
	case CH_3L:
		return evtchn_3l_probe;
	default:
		return false;
	}
}

u64 ch_rand(u64 *state)
{
	u64 x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

void ch_fail(const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "HX-FAIL: %s:%d: %s: ", file, line, func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void ch_bail(void)
{
	exit(1);
}

unsigned int ch_nr_upcall(void)
{
	return ch.nr_upcall;
}

unsigned int ch_first_ctl_cpu(void)
{
	return ch.nr_upcall;
}

void ch_as_cpu(unsigned int cpu)
{
	shim_set_cpu(cpu);
}

void ch_allow_warnings(void)
{
	ch.allow_warnings = true;
}

/* ---- Boot ------------------------------------------------------------------- */

extern const struct kernel_param_ops *kc_param_ops_evtchn_abi;

/*
 * stop_machine(): the vCPU threads park outside their upcalls (and take
 * none) until it is over.
 */
static void park_vcpus(bool park)
{
	unsigned int cpu;

	__atomic_store_n(&ch.parked, park, __ATOMIC_SEQ_CST);
	if (!park || !ch.threads)
		return;
	for (cpu = 0; cpu < ch.nr_upcall; cpu++) {
		if (!ch.thr[cpu].started || cpu == (unsigned int)shim_cpu)
			continue;
		mx_kick(cpu);
		while (!__atomic_load_n(&ch.thr[cpu].parked, __ATOMIC_SEQ_CST))
			sched_yield();
	}
}

int ch_setup(enum ch_abi abi, unsigned int nr_upcall, unsigned int nr_cpus)
{
	struct mx_config mc = { .nr_vcpus = nr_cpus };
	unsigned int cpu;
	evtchn_port_t port;
	int rc;

	if (nr_upcall < 1 || nr_cpus < nr_upcall + 1 || nr_cpus > ARRAY_SIZE(ch.thr))
		return -EINVAL;
	memset(&ch, 0, sizeof(ch));
	ch.nr_cpus = nr_cpus;
	ch.nr_upcall = nr_upcall;
	if (mx_create(&mc))
		return -ENOMEM;
	shim_cpus_init(nr_cpus);
	xen_domain_type = XEN_PV_DOMAIN;
	HYPERVISOR_shared_info = mx_shared_info();
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		per_cpu(xen_vcpu_id, cpu) = cpu;
		per_cpu(xen_vcpu, cpu) = mx_vcpu_info(cpu);
	}
	shim_set_cpu(0);
	shim_set_cpu_online(0, true);
	ch.up = true;

	/* The boot: xen.evtchn_abi=@abi on the command line, xen_init_IRQ(). */
	kc_park_hook = park_vcpus;
	rc = kc_param_ops_evtchn_abi->set(ch_abi_key[abi], NULL);
	if (rc)
		return rc;
	xen_init_IRQ();
	if (strcmp(xevt_abi_current()->key, ch_abi_key[abi]))
		return -ENODEV;
	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		if (!evtchn_ops->is_masked(port))
			return -EBADE;

	/* The other CPUs come up: the core's CPU hotplug "prepare" step. */
	if (!kc_cpuhp_startup)
		return -ENOENT;
	for (cpu = 1; cpu < nr_cpus; cpu++) {
		rc = kc_cpuhp_startup(cpu);
		if (rc)
			return rc;
		shim_set_cpu_online(cpu, true);
	}
	kc_worker_cpu = nr_cpus - 1;
	kc_start();
	/* The main thread is a process-context CPU. */
	shim_set_cpu(ch_first_ctl_cpu());
	return 0;
}

/* ---- Devices ----------------------------------------------------------------- */

void ch_dev_init(struct ch_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->last_cpu = -1;
	d->xb.otherend_id = MX_PEER_DOMID;
	d->xb.nodename = "device/test/0";
}

/*
 * Make @d ready for another binding, as a driver that binds again with the
 * same xenbus device: everything but the device's reference count, which a
 * binding freed after a grace period may still drop.
 */
void ch_dev_reinit(struct ch_dev *d)
{
	size_t at = offsetof(struct ch_dev, xb.dev);
	size_t after = at + sizeof(d->xb.dev);

	memset(d, 0, at);
	memset((char *)d + after, 0, sizeof(*d) - after);
	d->last_cpu = -1;
	d->xb.otherend_id = MX_PEER_DOMID;
	d->xb.nodename = "device/test/0";
}

irqreturn_t ch_handler(int irq, void *dev_id)
{
	struct ch_dev *d = dev_id;
	unsigned int cpu = raw_smp_processor_id();
	u64 raised, seen;

	if (__atomic_add_fetch(&d->running, 1, __ATOMIC_SEQ_CST) > 1) {
		__atomic_add_fetch(&d->overlap, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ch.handler_overlap, 1, __ATOMIC_RELAXED);
	}
	if (!shim_irqs_off || !shim_in_irq) {
		__atomic_add_fetch(&d->ctx_bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ch.handler_ctx_bad, 1, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&d->unbound, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&d->after_unbind, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ch.handler_after_unbind, 1, __ATOMIC_RELAXED);
	}
	/* The flow acknowledged before this: a raise from now on is new. */
	raised = __atomic_load_n(&d->raised, __ATOMIC_SEQ_CST);
	seen = __atomic_load_n(&d->seen, __ATOMIC_SEQ_CST);
	while (seen < raised &&
	       !__atomic_compare_exchange_n(&d->seen, &seen, raised, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (cpu < ARRAY_SIZE(d->per_cpu))
		__atomic_add_fetch(&d->per_cpu[cpu], 1, __ATOMIC_RELAXED);
	__atomic_store_n(&d->last_cpu, (int)cpu, __ATOMIC_RELAXED);
	__atomic_add_fetch(&d->calls, 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&d->running, 1, __ATOMIC_SEQ_CST);
	if (d->lateeoi && !d->hold_eoi)
		xen_irq_lateeoi(irq, d->eoi_flags);
	return IRQ_HANDLED;
}

int ch_bind_interdomain(struct ch_dev *d)
{
	evtchn_port_t offer = mx_peer_offer();
	int irq;

	d->lateeoi = true;
	/* Xen signals a new interdomain port once: counted as a raise. */
	__atomic_add_fetch(&d->raised, 1, __ATOMIC_SEQ_CST);
	irq = bind_interdomain_evtchn_to_irqhandler_lateeoi(&d->xb, offer, ch_handler, 0,
							    "ch-interdomain", d);
	if (irq < 0) {
		__atomic_sub_fetch(&d->raised, 1, __ATOMIC_SEQ_CST);
		return irq;
	}
	d->irq = irq;
	d->port = xevt_port_of(irq);
	return irq;
}

int ch_bind_evtchn(struct ch_dev *d, bool lateeoi)
{
	struct evtchn_alloc_unbound a = {
		.dom = DOMID_SELF,
		.remote_dom = MX_PEER_DOMID,
	};
	struct evtchn_close c;
	int rc, irq;

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
	if (rc)
		return rc;
	rc = mx_peer_connect(a.port);
	if (rc)
		goto close;
	d->lateeoi = lateeoi;
	irq = lateeoi ?
	      bind_evtchn_to_irqhandler_lateeoi(a.port, ch_handler, 0,
						"ch-evtchn", d) :
	      bind_evtchn_to_irqhandler(a.port, ch_handler, 0, "ch-evtchn", d);
	if (irq < 0) {
		rc = irq;
		goto close;
	}
	d->irq = irq;
	d->port = a.port;
	return irq;
close:
	c.port = a.port;
	HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
	return rc;
}

int ch_bind_virq(struct ch_dev *d, unsigned int virq, unsigned int cpu,
		 bool percpu)
{
	int irq = bind_virq_to_irqhandler(virq, cpu, ch_handler,
					  percpu ? IRQF_PERCPU : 0, "ch-virq", d);

	if (irq < 0)
		return irq;
	d->irq = irq;
	d->port = xevt_port_of(irq);
	return irq;
}

int ch_bind_ipi(struct ch_dev *d, enum ipi_vector vec, unsigned int cpu)
{
	int irq = bind_ipi_to_irqhandler(vec, cpu, ch_handler, 0, "ch-ipi", d);

	if (irq < 0)
		return irq;
	d->irq = irq;
	d->port = xevt_port_of(irq);
	return irq;
}

void ch_unbind(struct ch_dev *d)
{
	unbind_from_irqhandler(d->irq, d);
	__atomic_store_n(&d->unbound, true, __ATOMIC_SEQ_CST);
}

int ch_raise(struct ch_dev *d)
{
	struct mx_port_info info;
	int rc;

	__atomic_add_fetch(&d->raised, 1, __ATOMIC_SEQ_CST);
	rc = mx_port_info(d->port, &info);
	if (!rc && info.state == MX_VIRQ)
		rc = mx_raise_virq(info.vcpu, info.virq);
	else if (!rc && info.state == MX_IPI)
		rc = mx_raise(d->port);
	else if (!rc)
		rc = mx_peer_send(d->port);
	if (rc)
		__atomic_sub_fetch(&d->raised, 1, __ATOMIC_SEQ_CST);
	return rc;
}

/* ---- Upcalls --------------------------------------------------------------------- */

bool ch_upcall_pending(unsigned int cpu)
{
	return READ_ONCE(per_cpu(xen_vcpu, cpu)->evtchn_upcall_pending);
}

/* The interrupt entry: hard IRQ, interrupts off, on @cpu. */
void ch_upcall(unsigned int cpu)
{
	int saved_cpu = shim_cpu;
	bool saved_irqs = shim_irqs_off;

	shim_set_cpu(cpu);
	shim_irqs_off = true;
	shim_in_irq++;
	/*
	 * The upcall reads evtchn_ops with a plain load, which the run-time
	 * switch writes with WRITE_ONCE() (a known race, README): on x86
	 * that load has acquire ordering, which TSan would not know.
	 */
	(void)__atomic_load_n(&evtchn_ops, __ATOMIC_ACQUIRE);
	xen_evtchn_do_upcall();
	shim_in_irq--;
	shim_irqs_off = saved_irqs;
	shim_cpu = saved_cpu;
}

#define CH_DRAIN_ROUNDS	100000

unsigned int ch_drain(void)
{
	unsigned int rounds, cpu, n = 0;
	bool any;

	for (rounds = 0; rounds < CH_DRAIN_ROUNDS; rounds++) {
		any = false;
		for (cpu = 0; cpu < ch.nr_upcall; cpu++) {
			if (ch_upcall_pending(cpu)) {
				ch_upcall(cpu);
				n++;
				any = true;
			}
		}
		if (!any)
			return n;
	}
	ch.livelocks++;
	return n;
}

static void *vcpu_thread(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct ch_thread *t = &ch.thr[cpu];

	shim_set_cpu(cpu);
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		unsigned int seq = mx_kick_seq(cpu);

		if (__atomic_load_n(&ch.parked, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&t->parked, true, __ATOMIC_SEQ_CST);
			sched_yield();
			continue;
		}
		__atomic_store_n(&t->parked, false, __ATOMIC_SEQ_CST);

		if (ch_upcall_pending(cpu)) {
			__atomic_store_n(&t->busy, true, __ATOMIC_SEQ_CST);
			ch_upcall(cpu);
			__atomic_store_n(&t->busy, false, __ATOMIC_SEQ_CST);
			continue;
		}
		mx_wait_kick(cpu, seq, 2000);
	}
	return NULL;
}

void ch_threads_start(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ch.nr_upcall; cpu++) {
		struct ch_thread *t = &ch.thr[cpu];

		memset(t, 0, sizeof(*t));
		if (!pthread_create(&t->tid, NULL, vcpu_thread,
				    (void *)(uintptr_t)cpu))
			t->started = true;
	}
	ch.threads = true;
}

void ch_threads_stop(void)
{
	unsigned int cpu;

	if (!ch.threads)
		return;
	for (cpu = 0; cpu < ch.nr_upcall; cpu++) {
		struct ch_thread *t = &ch.thr[cpu];

		if (!t->started)
			continue;
		__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
		mx_kick(cpu);
		pthread_join(t->tid, NULL);
		t->started = false;
	}
	ch.threads = false;
}

static bool all_idle(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ch.nr_upcall; cpu++) {
		if (ch_upcall_pending(cpu) ||
		    __atomic_load_n(&ch.thr[cpu].busy, __ATOMIC_SEQ_CST))
			return false;
	}
	return true;
}

bool ch_quiesce(unsigned int ms)
{
	struct timespec ts = { .tv_nsec = 200000 };
	unsigned int waited;

	for (waited = 0; waited < ms * 5; waited++) {
		if (!ch.threads)
			ch_drain();
		flush_workqueue(system_wq);
		if (all_idle()) {
			nanosleep(&ts, NULL);
			flush_workqueue(system_wq);
			if (all_idle())
				return true;
		}
		nanosleep(&ts, NULL);
	}
	return false;
}

/* ---- The invariants -------------------------------------------------------------------- */

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			ch_fail(__FILE__, __LINE__, "ch_finish", __VA_ARGS__); \
			ok = false;					\
		}							\
	} while (0)

bool ch_finish(void)
{
	struct mx_stats *st;
	bool ok = true;

	if (!ch.up)
		return true;
	ch_quiesce(2000);
	ch_threads_stop();
	flush_workqueue(system_wq);
	kc_stop();
	st = mx_stats();

	CHECK(!ch.handler_ctx_bad, "%lu handler calls outside hard IRQ",
	      ch.handler_ctx_bad);
	CHECK(!ch.handler_overlap, "%lu handler calls overlapped another of the same IRQ",
	      ch.handler_overlap);
	CHECK(!ch.handler_after_unbind, "%lu handler calls after unbind_from_irqhandler()",
	      ch.handler_after_unbind);
	CHECK(!kc_stats.flow_ctx_violations, "%lu flows outside hard IRQ",
	      kc_stats.flow_ctx_violations);
	CHECK(!kc_stats.no_desc, "generic_handle_irq() met %lu freed descriptors",
	      kc_stats.no_desc);
	CHECK(!kc_stats.no_flow, "%lu descriptors without a flow handler",
	      kc_stats.no_flow);
	CHECK(!kc_stats.other_hypercalls, "%lu hypercalls the model does not serve",
	      kc_stats.other_hypercalls);
	CHECK(!ch.livelocks, "%lu drains did not end", ch.livelocks);
	CHECK(ch.allow_warnings || !shim_nr_warnings(),
	      "%u warnings (printk >= KERN_WARNING or WARN)", shim_nr_warnings());
	CHECK(!st->xen_warnings, "%lu Xen warnings", st->xen_warnings);
	CHECK(!st->lost_events, "%lu events lost at Xen", st->lost_events);
	if (!ok || ch_verbose)
		shim_log_dump(stderr);
	mx_destroy();
	ch.up = false;
	return ok;
}
