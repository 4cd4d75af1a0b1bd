// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runtime of the shim headers: printk and WARN accounting, the per-thread
 * CPU identity, counted page and kmalloc allocation, and the kernel's Xen
 * globals (HYPERVISOR_shared_info, xen_vcpu, xen_vcpu_id).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include "shim.h"

/* ---- Xen globals -------------------------------------------------------- */

struct shared_info *HYPERVISOR_shared_info;
enum xen_domain_type xen_domain_type = XEN_PV_DOMAIN;
bool shim_xen_initial_domain = true;
bool xen_have_vector_callback = true;
bool xen_percpu_upcall;
DEFINE_PER_CPU(struct vcpu_info *, xen_vcpu);
DEFINE_PER_CPU(uint32_t, xen_vcpu_id);

/* ---- CPUs --------------------------------------------------------------- */

__thread int shim_cpu;
__thread bool shim_irqs_off;
__thread int shim_preempt;
__thread int shim_in_irq;

struct cpumask shim_cpu_online_mask, shim_cpu_possible_mask;
unsigned int nr_cpu_ids = 1;

unsigned int shim_cpu_checked(long cpu, const char *file, int line)
{
	if (cpu < 0 || cpu >= SHIM_PER_CPU_COPIES) {
		fprintf(stderr, "%s:%d: CPU %ld out of range\n", file, line, cpu);
		abort();
	}
	return (unsigned int)cpu;
}

void shim_set_cpu(unsigned int cpu)
{
	shim_cpu = (int)shim_cpuid(cpu);
}

void shim_cpus_init(unsigned int nr_cpus)
{
	unsigned int cpu;

	nr_cpu_ids = nr_cpus;
	cpumask_clear(&shim_cpu_online_mask);
	cpumask_clear(&shim_cpu_possible_mask);
	for (cpu = 0; cpu < nr_cpus; cpu++)
		cpumask_set_cpu(cpu, &shim_cpu_possible_mask);
}

void shim_set_cpu_online(unsigned int cpu, bool online)
{
	if (online)
		cpumask_set_cpu(cpu, &shim_cpu_online_mask);
	else
		cpumask_clear_cpu(cpu, &shim_cpu_online_mask);
}

void cpu_relax(void)
{
	static __thread unsigned int spins;

	if (++spins % 64 == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

/* ---- printk, WARN, BUG -------------------------------------------------- */

#define LOG_LINES	256
#define LOG_WIDTH	200

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[LOG_LINES][LOG_WIDTH];
static unsigned int log_next;
static unsigned int nr_level[8];
static unsigned int nr_warn_hits;
static unsigned int nr_suppressed;
static bool echo = true;

static void log_line(int level, const char *text)
{
	pthread_mutex_lock(&log_lock);
	if (level >= 0 && level < 8)
		nr_level[level]++;
	snprintf(log_text[log_next % LOG_LINES], LOG_WIDTH, "<%d>%s", level, text);
	log_next++;
	pthread_mutex_unlock(&log_lock);
	if (!echo)
		return;
	fprintf(stderr, "[cpu%d] <%d>%s", shim_cpu, level, text);
	if (!text[0] || text[strlen(text) - 1] != '\n')
		fputc('\n', stderr);
}

int _printk(const char *fmt, ...)
{
	char buf[LOG_WIDTH];
	int level = LOGLEVEL_WARNING;	/* the kernel's default */
	va_list ap;

	if (fmt[0] == KERN_SOH[0] && fmt[1]) {
		if (fmt[1] >= '0' && fmt[1] <= '7')
			level = fmt[1] - '0';
		else if (fmt[1] == 'c')
			level = LOGLEVEL_INFO;
		fmt += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_line(level, buf);
	return (int)strlen(buf);
}

void shim_note_suppressed(void)
{
	__atomic_add_fetch(&nr_suppressed, 1, __ATOMIC_RELAXED);
}

void dump_stack(void)
{
}

void shim_warn(const char *file, int line, const char *fmt, ...)
{
	char msg[LOG_WIDTH], buf[LOG_WIDTH + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "WARNING: %s:%d: %s", file, line, msg);
	pthread_mutex_lock(&log_lock);
	nr_warn_hits++;
	pthread_mutex_unlock(&log_lock);
	/* Logged below warning level so it is counted once, as a hit. */
	pthread_mutex_lock(&log_lock);
	snprintf(log_text[log_next % LOG_LINES], LOG_WIDTH, "<W>%s", buf);
	log_next++;
	pthread_mutex_unlock(&log_lock);
	if (echo)
		fprintf(stderr, "[cpu%d] %s\n", shim_cpu, buf);
}

void shim_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "[cpu%d] kernel BUG at %s:%d: %s\n", shim_cpu, file,
		line, what);
	abort();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[cpu%d] Kernel %s - not syncing: ", shim_cpu, __func__);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

unsigned int shim_nr_warnings(void)
{
	unsigned int i, n;

	pthread_mutex_lock(&log_lock);
	n = nr_warn_hits;
	for (i = 0; i <= LOGLEVEL_WARNING; i++)
		n += nr_level[i];
	pthread_mutex_unlock(&log_lock);
	return n;
}

unsigned int shim_nr_messages(int level)
{
	unsigned int n;

	pthread_mutex_lock(&log_lock);
	n = level >= 0 && level < 8 ? nr_level[level] : 0;
	pthread_mutex_unlock(&log_lock);
	return n;
}

unsigned int shim_nr_warn_hits(void)
{
	return __atomic_load_n(&nr_warn_hits, __ATOMIC_RELAXED);
}

unsigned int shim_nr_suppressed(void)
{
	return __atomic_load_n(&nr_suppressed, __ATOMIC_RELAXED);
}

bool shim_log_contains(const char *needle)
{
	unsigned int i, first;
	bool found = false;

	pthread_mutex_lock(&log_lock);
	first = log_next > LOG_LINES ? log_next - LOG_LINES : 0;
	for (i = first; i < log_next && !found; i++)
		found = strstr(log_text[i % LOG_LINES], needle);
	pthread_mutex_unlock(&log_lock);
	return found;
}

void shim_log_dump(FILE *f)
{
	unsigned int i, first;

	pthread_mutex_lock(&log_lock);
	first = log_next > LOG_LINES ? log_next - LOG_LINES : 0;
	for (i = first; i < log_next; i++)
		fprintf(f, "  log: %s%s", log_text[i % LOG_LINES],
			strchr(log_text[i % LOG_LINES], '\n') ? "" : "\n");
	pthread_mutex_unlock(&log_lock);
}

void shim_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_next = 0;
	memset(nr_level, 0, sizeof(nr_level));
	nr_warn_hits = 0;
	nr_suppressed = 0;
	pthread_mutex_unlock(&log_lock);
}

void shim_set_echo(bool on)
{
	echo = on;
}

/* ---- Memory ------------------------------------------------------------- */

/*
 * Live pages are registered so the model can validate the frame numbers
 * the guest hands to Xen (a frame that is not a live guest page is a bad
 * GFN: -EINVAL, as Xen's get_page_from_gfn() failing).
 */
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static void **live_page;
static unsigned int nr_live_page, cap_live_page;
static long nr_kmalloc;
static unsigned long nr_pages_allocated;
static int fail_page_in = -1, fail_kmalloc_in = -1;

static bool should_fail(int *countdown)
{
	if (*countdown < 0)
		return false;
	if ((*countdown)-- == 0)
		return true;
	return false;
}

/* Called at every page allocation when set (the core program's chaos). */
void (*shim_alloc_pages_hook)(void);

void *shim_alloc_pages(gfp_t gfp, unsigned int order)
{
	size_t size = PAGE_SIZE << order;
	void *p;

	might_sleep_if(gfp & __GFP_DIRECT_RECLAIM);
	if (shim_alloc_pages_hook)
		shim_alloc_pages_hook();
	pthread_mutex_lock(&mem_lock);
	if (should_fail(&fail_page_in)) {
		pthread_mutex_unlock(&mem_lock);
		return NULL;
	}
	if (nr_live_page == cap_live_page) {
		unsigned int cap = cap_live_page ? cap_live_page * 2 : 256;
		void **n = realloc(live_page, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&mem_lock);
			return NULL;
		}
		live_page = n;
		cap_live_page = cap;
	}
	p = aligned_alloc(PAGE_SIZE, size);
	if (p) {
		live_page[nr_live_page++] = p;
		nr_pages_allocated++;
	}
	pthread_mutex_unlock(&mem_lock);
	if (p) {
		/* Fresh pages hold garbage unless asked otherwise. */
		memset(p, (gfp & __GFP_ZERO) ? 0 : 0xa5, size);
	}
	return p;
}

void shim_free_pages(void *addr, unsigned int order)
{
	unsigned int i;
	bool found = false;

	(void)order;
	if (!addr)
		return;
	pthread_mutex_lock(&mem_lock);
	for (i = 0; i < nr_live_page; i++) {
		if (live_page[i] == addr) {
			live_page[i] = live_page[--nr_live_page];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&mem_lock);
	if (!found) {
		fprintf(stderr, "free_pages(%p): not an allocated page\n", addr);
		abort();
	}
	free(addr);
}

bool shim_page_is_live(const void *p)
{
	unsigned int i;
	bool live = false;

	pthread_mutex_lock(&mem_lock);
	for (i = 0; i < nr_live_page && !live; i++)
		live = live_page[i] == p;
	pthread_mutex_unlock(&mem_lock);
	return live;
}

void *shim_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	might_sleep_if(gfp & __GFP_DIRECT_RECLAIM);
	pthread_mutex_lock(&mem_lock);
	if (should_fail(&fail_kmalloc_in)) {
		pthread_mutex_unlock(&mem_lock);
		return NULL;
	}
	nr_kmalloc++;
	pthread_mutex_unlock(&mem_lock);
	p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (!p) {
		pthread_mutex_lock(&mem_lock);
		nr_kmalloc--;
		pthread_mutex_unlock(&mem_lock);
	}
	return p;
}

void shim_kfree(const void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&mem_lock);
	nr_kmalloc--;
	pthread_mutex_unlock(&mem_lock);
	free((void *)p);
}

long shim_pages_live(void)
{
	long n;

	pthread_mutex_lock(&mem_lock);
	n = nr_live_page;
	pthread_mutex_unlock(&mem_lock);
	return n;
}

long shim_kmallocs_live(void)
{
	long n;

	pthread_mutex_lock(&mem_lock);
	n = nr_kmalloc;
	pthread_mutex_unlock(&mem_lock);
	return n;
}

unsigned long shim_pages_allocated(void)
{
	return nr_pages_allocated;
}

void shim_fail_page_alloc(unsigned int skip)
{
	pthread_mutex_lock(&mem_lock);
	fail_page_in = (int)skip;
	pthread_mutex_unlock(&mem_lock);
}

void shim_fail_kmalloc(unsigned int skip)
{
	pthread_mutex_lock(&mem_lock);
	fail_kmalloc_in = (int)skip;
	pthread_mutex_unlock(&mem_lock);
}

bool shim_fail_kmalloc_unused(void)
{
	bool unused;

	pthread_mutex_lock(&mem_lock);
	unused = fail_kmalloc_in >= 0;
	fail_kmalloc_in = -1;
	pthread_mutex_unlock(&mem_lock);
	return unused;
}

/* ---- The trace of barriers, bit operations and hypercalls --------------- */

int shim_trace_on;
static struct shim_trace_entry trace[SHIM_TRACE_MAX];
static unsigned int trace_next;

static void trace_add(enum shim_trace_kind kind, const char *what,
		      const void *addr, unsigned long mask,
		      evtchn_port_t port)
{
	unsigned int i = __atomic_fetch_add(&trace_next, 1, __ATOMIC_SEQ_CST);

	if (i >= SHIM_TRACE_MAX)
		return;
	trace[i] = (struct shim_trace_entry){
		.kind = kind,
		.what = what,
		.addr = addr,
		.mask = mask,
		.port = port,
		.cpu = shim_cpu,
	};
}

void shim_trace_record(enum shim_trace_kind kind, const char *what,
		       const void *addr, unsigned long mask)
{
	trace_add(kind, what, addr, mask, 0);
}

void shim_trace_hypercall(int cmd, const void *arg)
{
	evtchn_port_t port = 0;

	/* The port-addressed operations a trace is asked about. */
	switch (arg ? cmd : -1) {
	case EVTCHNOP_unmask:
		port = ((const struct evtchn_unmask *)arg)->port;
		break;
	case EVTCHNOP_send:
		port = ((const struct evtchn_send *)arg)->port;
		break;
	case EVTCHNOP_close:
		port = ((const struct evtchn_close *)arg)->port;
		break;
	case EVTCHNOP_bind_vcpu:
		port = ((const struct evtchn_bind_vcpu *)arg)->port;
		break;
	}
	trace_add(SHIM_TR_HYPERCALL, "HYPERVISOR_event_channel_op", NULL,
		  (unsigned long)cmd, port);
}

void shim_trace_start(void)
{
	__atomic_store_n(&shim_trace_on, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&trace_next, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&shim_trace_on, 1, __ATOMIC_SEQ_CST);
}

void shim_trace_stop(void)
{
	__atomic_store_n(&shim_trace_on, 0, __ATOMIC_SEQ_CST);
}

unsigned int shim_trace_len(void)
{
	return min_t(unsigned int,
		     __atomic_load_n(&trace_next, __ATOMIC_SEQ_CST),
		     SHIM_TRACE_MAX);
}

unsigned int shim_trace_dropped(void)
{
	unsigned int n = __atomic_load_n(&trace_next, __ATOMIC_SEQ_CST);

	return n > SHIM_TRACE_MAX ? n - SHIM_TRACE_MAX : 0;
}

const struct shim_trace_entry *shim_trace_entry(unsigned int i)
{
	return i < shim_trace_len() ? &trace[i] : NULL;
}

void shim_trace_dump(FILE *f)
{
	unsigned int i, n = shim_trace_len();

	for (i = 0; i < n; i++) {
		const struct shim_trace_entry *e = &trace[i];

		if (e->kind == SHIM_TR_HYPERCALL)
			fprintf(f, "  trace %u: cpu%d %s(%lu) port %u\n", i,
				e->cpu, e->what, e->mask, e->port);
		else if (e->addr)
			fprintf(f, "  trace %u: cpu%d %s %p mask %#lx\n", i,
				e->cpu, e->what, e->addr, e->mask);
		else
			fprintf(f, "  trace %u: cpu%d %s\n", i, e->cpu, e->what);
	}
	if (shim_trace_dropped())
		fprintf(f, "  trace: %u more entries dropped\n",
			shim_trace_dropped());
}
