// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the FIFO-based ABI.
 *
 * Each port has a 32-bit event word in the event array: guest pages that
 * are handed to Xen one at a time (EVTCHNOP_expand_array) as the port
 * numbers in use grow.  When an unmasked port fires, Xen links its word at
 * the tail of one of the 16 priority queues of the vCPU the port is bound
 * to.  The queues hang off that vCPU's control block, a guest page given
 * to Xen with EVTCHNOP_init_control, which also holds the READY word: Xen
 * sets bit q there when it writes a new HEAD for queue q.
 *
 * The guest walks a queue from its head along the LINK fields, clearing
 * LINKED and LINK of each word it takes.  Xen writes HEAD only when it
 * finds a queue empty, so the walk position of every queue is kept here,
 * in guest-private memory, and HEAD is read only to start a new walk.
 *
 * Who may change which bit of an event word:
 *
 *   PENDING        Xen sets it; the guest clears it (acknowledge) and may
 *                  set it to retrigger.
 *   MASKED         the guest sets it (new pages start with it set) and
 *                  clears it, but never while BUSY is set.
 *   LINKED, LINK   Xen sets them when it queues the event; the guest
 *                  clears them when it takes the event off the queue.
 *   BUSY           Xen, while it rewrites the LINK of a queue's tail.
 *
 * Nothing Xen writes is trusted to be in range: a HEAD or LINK naming a
 * port that is not addressable gets one warning and ends that queue's walk.
 *
 * Design and locking: Documentation/xen/events.rst.
 */

#undef pr_fmt
#define pr_fmt(fmt) "xen:events: " fmt

#include "events_kernel.h"
#include "events_internal.h"

/* Event words per event array page, and the most pages Xen takes. */
#define FIFO_PAGE_PORTS	((unsigned int)(XEN_PAGE_SIZE / sizeof(event_word_t)))
#define FIFO_MAX_PAGES	(EVTCHN_FIFO_NR_CHANNELS / FIFO_PAGE_PORTS)

#define FIFO_PENDING	((event_word_t)1 << EVTCHN_FIFO_PENDING)
#define FIFO_MASKED	((event_word_t)1 << EVTCHN_FIFO_MASKED)
#define FIFO_LINKED	((event_word_t)1 << EVTCHN_FIFO_LINKED)
#define FIFO_BUSY	((event_word_t)1 << EVTCHN_FIFO_BUSY)
#define FIFO_LINK	((event_word_t)EVTCHN_FIFO_LINK_MASK)

/* The READY bits Xen may set: one per queue. */
#define FIFO_READY_QUEUES	((1U << EVTCHN_FIFO_MAX_QUEUES) - 1)

/*
 * Xen holds BUSY for a handful of cmpxchg attempts at most.  After this
 * many failed attempts at clearing MASKED ourselves, unmask goes through
 * Xen, which is always correct; a hypervisor that never drops BUSY cannot
 * hang us with interrupts off.
 */
#define FIFO_UNMASK_TRIES	128

/*
 * Same bound for taking an event off its queue.  Only the guest and Xen
 * write a word, each a few times per event, so this is never reached
 * unless Xen keeps rewriting the word.
 */
#define FIFO_UNLINK_TRIES	1024

/* What fifo_unlink() returns when it could not unlink: never a port. */
#define FIFO_LINK_LOST	((evtchn_port_t)~0U)

/**
 * struct fifo_cpu_state - what the FIFO backend keeps per CPU
 * @block:      The control block page given to Xen for this CPU's vCPU,
 *              NULL until percpu_init (or probe, for the boot CPU).
 * @registered: @block is registered in the current domain.  Cleared by
 *              resume for CPUs that are offline then; percpu_init
 *              registers @block again when such a CPU comes up.
 * @carry:      READY bits already taken from @block but not consumed
 *              (left only by a hand-over that ran out of budget).
 * @next:       Walk position of each queue: the port to take next, or 0
 *              to start a new walk at the queue's HEAD.
 *
 * Only the owning CPU's upcall touches @carry and @next while the CPU is
 * up; percpu_deinit and resume touch them while it is down or stopped.
 */
struct fifo_cpu_state {
	struct evtchn_fifo_control_block *block;
	bool registered;
	u32 carry;
	evtchn_port_t next[EVTCHN_FIFO_MAX_QUEUES];
};

static DEFINE_PER_CPU(struct fifo_cpu_state, fifo_pcpu);

/*
 * The event array.  fifo_page[i] holds ports i * FIFO_PAGE_PORTS and up.
 * The first fifo_nr_pages pages are registered with Xen; a page after
 * them, if allocated, is a spare (kept after a failed expand or from
 * before a resume) that is reused before allocating another.
 *
 * Writers are setup(), resume() and probe, which the core never runs
 * concurrently.  Readers are lockless and go through fifo_nr_ports().
 */
static event_word_t *fifo_page[FIFO_MAX_PAGES] __read_mostly;
static unsigned int fifo_nr_pages __read_mostly;

static struct fifo_cpu_state *fifo_state(unsigned int cpu)
{
	return &per_cpu(fifo_pcpu, cpu);
}

/* Ports that are addressable now. */
static unsigned int fifo_nr_ports(void)
{
	/*
	 * Pairs with smp_store_release() in fifo_add_page(): the page of
	 * every port below the count we read is visible in fifo_page[].
	 */
	return smp_load_acquire(&fifo_nr_pages) * FIFO_PAGE_PORTS;
}

/* The event word of an addressable @port. */
static event_word_t *fifo_word(evtchn_port_t port)
{
	return fifo_page[port / FIFO_PAGE_PORTS] + port % FIFO_PAGE_PORTS;
}

/* The event word of a @port the core passes in, or NULL if unset up. */
static event_word_t *fifo_word_checked(evtchn_port_t port)
{
	if (WARN_ONCE(port >= fifo_nr_ports(),
		      "xen:events: FIFO port %u used before setup\n", port))
		return NULL;
	return fifo_word(port);
}

/*
 * The sync_*_bit() helpers act on a naturally aligned unsigned long.  On
 * 64-bit kernels that long holds two event words, the odd one in its upper
 * half (all Xen guests are little-endian): address the long, and move the
 * bit number up by the word's offset in it.
 */
static unsigned long *fifo_word_long(event_word_t *word)
{
	uintptr_t addr = (uintptr_t)word;

	return (unsigned long *)(addr & ~(uintptr_t)(sizeof(long) - 1));
}

static unsigned int fifo_word_bit(event_word_t *word, unsigned int bit)
{
	uintptr_t offset = (uintptr_t)word & (sizeof(long) - 1);

	return bit + BITS_PER_BYTE * offset;
}

static void fifo_word_set(event_word_t *word, unsigned int bit)
{
	sync_set_bit(fifo_word_bit(word, bit), fifo_word_long(word));
}

static void fifo_word_clear(event_word_t *word, unsigned int bit)
{
	sync_clear_bit(fifo_word_bit(word, bit), fifo_word_long(word));
}

static bool fifo_word_test(event_word_t *word, unsigned int bit)
{
	return sync_test_bit(fifo_word_bit(word, bit), fifo_word_long(word));
}

static unsigned int fifo_max_channels(void)
{
	return EVTCHN_FIFO_NR_CHANNELS;
}

static unsigned int fifo_nr_channels(void)
{
	return fifo_nr_ports();
}

/* ---- The event array ------------------------------------------------- */

/*
 * Growing the event array is serialised by fifo_grow_lock: the core may ask
 * for it from several CPUs at once and from atomic context (a PIRQ started
 * under its descriptor lock, resume under stop_machine), so pages are
 * allocated atomically.  Readers of fifo_nr_pages take no lock (see
 * fifo_nr_ports()).
 */
static DEFINE_SPINLOCK(fifo_grow_lock);

/* Give Xen the next page of the event array.  Called with fifo_grow_lock. */
static int fifo_add_page(void)
{
	unsigned int index = fifo_nr_pages;
	event_word_t *page = fifo_page[index];
	struct evtchn_expand_array op;
	unsigned int i;
	int ret;

	if (!page) {
		page = (event_word_t *)__get_free_page(GFP_ATOMIC);
		if (!page)
			return -ENOMEM;
		fifo_page[index] = page;
	}

	/*
	 * Xen may raise a port of the page as soon as it has it, so every
	 * port starts masked and unlinked; the core unmasks a port once it
	 * is bound.  The hypercall orders these stores before Xen's reads.
	 */
	for (i = 0; i < FIFO_PAGE_PORTS; i++)
		page[i] = FIFO_MASKED;

	op.array_gfn = evtchn_virt_to_gfn(page);
	ret = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &op);
	if (ret)
		return ret;	/* the page stays as the spare for a retry */

	/* Pairs with smp_load_acquire() in fifo_nr_ports(). */
	smp_store_release(&fifo_nr_pages, index + 1);
	return 0;
}

static int fifo_setup(evtchn_port_t port)
{
	unsigned int pages = port / FIFO_PAGE_PORTS + 1;
	unsigned long flags;
	int ret = 0;

	if (port >= EVTCHN_FIFO_NR_CHANNELS)
		return -EINVAL;

	spin_lock_irqsave(&fifo_grow_lock, flags);
	while (fifo_nr_pages < pages) {
		ret = fifo_add_page();
		if (ret) {
			pr_err_ratelimited("cannot grow the event array to page %u for port %u: %d\n",
					   fifo_nr_pages, port, ret);
			break;
		}
	}
	spin_unlock_irqrestore(&fifo_grow_lock, flags);
	return ret;
}

/* ---- Control blocks -------------------------------------------------- */

/* Give @block to Xen as the control block of @cpu's vCPU, as it is. */
static int fifo_give_block(unsigned int cpu,
			   struct evtchn_fifo_control_block *block)
{
	struct evtchn_init_control op = {
		.control_gfn	= evtchn_virt_to_gfn(block),
		.offset		= 0,
		.vcpu		= evtchn_xen_vcpu_id(cpu),
	};

	return HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &op);
}

/* Start @cpu's queues afresh in @block: no READY, no HEAD, no walk. */
static void fifo_clear_queues(unsigned int cpu,
			      struct evtchn_fifo_control_block *block)
{
	struct fifo_cpu_state *state = fifo_state(cpu);

	memset(block, 0, sizeof(*block));
	memset(state->next, 0, sizeof(state->next));
	state->carry = 0;
}

/* Register @block as the control block of @cpu's vCPU, starting afresh. */
static int fifo_init_control(unsigned int cpu,
			     struct evtchn_fifo_control_block *block)
{
	/*
	 * No READY bits and no HEADs from an earlier life of the page (or
	 * of the domain), and no walk in progress.  The hypercall orders
	 * the clearing before Xen's first write.
	 */
	fifo_clear_queues(cpu, block);
	return fifo_give_block(cpu, block);
}

/* Make sure @cpu's vCPU has a registered control block. */
static int fifo_register_cpu(unsigned int cpu)
{
	struct fifo_cpu_state *state = fifo_state(cpu);
	struct evtchn_fifo_control_block *block = state->block;
	int ret;

	if (state->registered)
		return 0;

	if (!block) {
		block = (void *)__get_free_page(GFP_KERNEL);
		if (!block)
			return -ENOMEM;
	}

	ret = fifo_init_control(cpu, block);
	if (ret) {
		if (!state->block)
			free_page((unsigned long)block);
		return ret;
	}

	state->block = block;
	state->registered = true;
	return 0;
}

static int fifo_percpu_init(unsigned int cpu)
{
	return fifo_register_cpu(cpu);
}

/* ---- Pending and mask bits ------------------------------------------- */

static void fifo_set_pending(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	if (word)
		fifo_word_set(word, EVTCHN_FIFO_PENDING);
}

static void fifo_clear_pending(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	if (word)
		fifo_word_clear(word, EVTCHN_FIFO_PENDING);
}

static bool fifo_is_pending(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	return word && fifo_word_test(word, EVTCHN_FIFO_PENDING);
}

static void fifo_mask(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	if (word)
		fifo_word_set(word, EVTCHN_FIFO_MASKED);
}

static bool fifo_is_masked(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	/* A port we cannot address can never fire: call it masked. */
	return !word || fifo_word_test(word, EVTCHN_FIFO_MASKED);
}

/*
 * Clear MASKED in @word ourselves if that is allowed.  Returns false if
 * Xen has to do it: the port is pending (only Xen can queue the event) or
 * Xen held BUSY for too long.
 *
 * Each attempt is one fully ordered cmpxchg of the whole word, so it is
 * ordered against Xen's own atomic updates of the word: either Xen set
 * PENDING first (the cmpxchg fails, we see PENDING and defer to Xen), or
 * Xen sees MASKED clear when it raises the port and queues it itself.  It
 * also orders the caller's earlier stores before the unmask.
 */
static bool fifo_try_unmask(event_word_t *word)
{
	event_word_t seen = READ_ONCE(*word);
	unsigned int tries;

	for (tries = 0; tries < FIFO_UNMASK_TRIES; tries++) {
		event_word_t quiet, found;

		if (!(seen & FIFO_MASKED))
			return true;
		if (seen & FIFO_PENDING)
			return false;

		/* Expect BUSY clear: while Xen holds it this fails. */
		quiet = seen & ~FIFO_BUSY;
		found = sync_cmpxchg(word, quiet, quiet & ~FIFO_MASKED);
		if (found == quiet)
			return true;
		seen = found;
	}
	return false;
}

static void fifo_unmask(evtchn_port_t port)
{
	event_word_t *word = fifo_word_checked(port);

	if (word && !fifo_try_unmask(word))
		evtchn_xen_unmask(port);
}

static int fifo_set_priority(evtchn_port_t port, unsigned int priority)
{
	struct evtchn_set_priority op = {
		.port		= port,
		.priority	= priority,
	};

	if (priority > EVTCHN_FIFO_PRIORITY_MIN)
		return -EINVAL;
	return HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &op);
}

/* Xen picks the queue from its own binding; nothing to track here. */
static void fifo_bind_to_cpu(evtchn_port_t port, unsigned int cpu,
			     unsigned int old_cpu)
{
}

/* ---- Consuming the queues -------------------------------------------- */

/*
 * Take the event of @word off its queue: clear LINKED and LINK, leave the
 * other bits alone (the guest may do this while Xen holds BUSY).  Returns
 * the LINK it had, i.e. the next port in the queue or 0 at the end, or
 * FIFO_LINK_LOST if Xen kept changing the word.
 */
static evtchn_port_t fifo_unlink(event_word_t *word)
{
	event_word_t seen = READ_ONCE(*word);
	unsigned int tries;

	for (tries = 0; tries < FIFO_UNLINK_TRIES; tries++) {
		event_word_t found;

		found = sync_cmpxchg(word, seen,
				     seen & ~(FIFO_LINKED | FIFO_LINK));
		if (found == seen)
			return seen & FIFO_LINK;
		seen = found;
	}
	return FIFO_LINK_LOST;
}

/*
 * Xen named a port that cannot be in a queue of ours.  Say so once; the
 * caller ends the walk of that queue there.
 */
static void fifo_report_bad_link(unsigned int cpu, unsigned int queue,
				 const char *what, evtchn_port_t port)
{
	pr_warn_once("CPU %u queue %u: Xen gave %s %#x (%u ports set up); ignoring the rest of the queue\n",
		     cpu, queue, what, port, fifo_nr_ports());
}

/* Read the HEAD of @queue to start a new walk; 0 if Xen wrote nonsense. */
static evtchn_port_t fifo_read_head(unsigned int cpu,
				    struct fifo_cpu_state *state,
				    unsigned int queue, unsigned int limit)
{
	evtchn_port_t head;

	/*
	 * Xen writes HEAD before it sets the READY bit that sent us here,
	 * and we took that bit with a fully ordered xchg.  Pairs with the
	 * ordering of Xen's HEAD write before its test-and-set of READY;
	 * read HEAD (and, through it, the event word) after READY.
	 */
	virt_rmb();
	head = READ_ONCE(state->block->head[queue]);

	/* READY is set only with a new HEAD, so 0 means Xen got it wrong. */
	if (!head || head >= limit) {
		fifo_report_bad_link(cpu, queue, "HEAD", head);
		return 0;
	}
	return head;
}

/*
 * Deliver the event of @port, just taken off a queue of a CPU, if it is
 * still pending and unmasked (it may have been acknowledged or masked
 * since Xen queued it).  With @ctrl NULL the CPU is dead: hand the event
 * over instead.  Xen queues a pending, unmasked, unlinked port again on
 * EVTCHNOP_unmask, on the vCPU the port is bound to now.
 */
static void fifo_deliver(evtchn_port_t port, event_word_t *word,
			 struct evtchn_loop_ctrl *ctrl)
{
	event_word_t now = READ_ONCE(*word);

	if (!(now & FIFO_PENDING) || (now & FIFO_MASKED))
		return;
	if (ctrl)
		evtchn_handle_port(port, ctrl);
	else
		evtchn_xen_unmask(port);
}

/*
 * Take one event off queue @queue of @cpu and deliver it.  When the queue
 * runs out (or Xen corrupted it), clear @queue in @ready.
 */
static void fifo_consume_one(unsigned int cpu, struct fifo_cpu_state *state,
			     unsigned int queue, unsigned long *ready,
			     struct evtchn_loop_ctrl *ctrl)
{
	unsigned int limit = fifo_nr_ports();
	evtchn_port_t port = state->next[queue];
	evtchn_port_t link = 0;
	event_word_t *word = NULL;

	if (!port)
		port = fifo_read_head(cpu, state, queue, limit);

	if (port) {
		word = fifo_word(port);
		link = fifo_unlink(word);
		if (link >= limit) {
			fifo_report_bad_link(cpu, queue, "LINK", link);
			link = 0;
		}
	}

	/* Record where the walk goes on before running any handler. */
	state->next[queue] = link;
	if (!link)
		__clear_bit(queue, ready);

	if (word)
		fifo_deliver(port, word, ctrl);
}

/*
 * Consume the queues of @cpu, always from the highest priority (lowest
 * index) queue that has an event, one event at a time so that an event
 * of higher priority raised meanwhile goes first.  Stops when every queue
 * is empty, or after @budget events, keeping the rest for later.  Returns
 * true if the queues were emptied.
 */
static bool fifo_consume(unsigned int cpu, struct evtchn_loop_ctrl *ctrl,
			 unsigned int budget)
{
	struct fifo_cpu_state *state = fifo_state(cpu);
	struct evtchn_fifo_control_block *block = state->block;
	unsigned long ready = state->carry;

	if (!block)
		return true;
	state->carry = 0;

	for (;;) {
		/*
		 * A plain read saves the locked xchg when nothing is new.
		 * If Xen sets a bit just after it, Xen also raises another
		 * upcall, so stopping now loses nothing.
		 */
		if (READ_ONCE(block->ready)) {
			u32 bits = xchg(&block->ready, 0);

			/* A bit for a queue that does not exist indexes nothing. */
			if (unlikely(bits & ~FIFO_READY_QUEUES))
				pr_warn_once("CPU %u: Xen set READY bits %#x; ignoring them\n",
					     cpu, bits & ~FIFO_READY_QUEUES);
			ready |= bits & FIFO_READY_QUEUES;
		}
		if (!ready)
			return true;
		if (!budget--) {
			state->carry = ready;
			return false;
		}
		fifo_consume_one(cpu, state, __ffs(ready), &ready, ctrl);
	}
}

static void fifo_handle_events(unsigned int cpu, struct evtchn_loop_ctrl *ctrl)
{
	fifo_consume(cpu, ctrl, UINT_MAX);
}

static int fifo_percpu_deinit(unsigned int cpu)
{
	struct fifo_cpu_state *state = fifo_state(cpu);
	unsigned int budget;

	if (!state->registered)
		return 0;

	/*
	 * Events left on a dead CPU's queues would stay LINKED, and Xen
	 * neither queues a LINKED port again nor reuses its number.  Take
	 * them all off and hand the pending ones to where their ports are
	 * bound now.  A port can be queued once at a time, so one pass
	 * takes at most one event per port, unless a port is still bound
	 * to this CPU and its events keep coming back here: bound the pass
	 * so that cannot loop forever.
	 */
	budget = fifo_nr_ports() + EVTCHN_FIFO_MAX_QUEUES;
	if (!fifo_consume(cpu, NULL, budget))
		pr_warn("CPU %u: ports still bound to it keep queueing events; they wait until it is back\n",
			cpu);
	return 0;
}

/* An online CPU whose control block is registered, or nr_cpu_ids. */
static unsigned int fifo_registered_cpu(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (fifo_state(cpu)->registered)
			return cpu;
	return nr_cpu_ids;
}

/*
 * Does Xen have the domain on the FIFO ABI?  Asked without changing
 * anything: EVTCHNOP_expand_array with a frame number that no guest page
 * has.  Xen 4.17 answers -EOPNOTSUPP first thing when the domain is not on
 * FIFO.  On FIFO it answers -ENOSPC if the event array is full, else
 * -EINVAL when it fails to map the frame.  Any other answer is no proof.
 */
static bool fifo_xen_has_fifo(void)
{
	struct evtchn_expand_array op = { .array_gfn = U64_MAX };
	int ret;

	ret = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &op);
	return ret == -EINVAL || ret == -ENOSPC;
}

/* Xen has none of our pages any more: forget every registration. */
static void fifo_forget_xen(void)
{
	unsigned int cpu;

	WRITE_ONCE(fifo_nr_pages, 0);
	for_each_possible_cpu(cpu)
		fifo_state(cpu)->registered = false;
}

static int fifo_resume(void)
{
	unsigned int cpu, asked = fifo_registered_cpu();
	int asked_ret = -ENOENT, ret;

	/*
	 * Xen reported a new domain.  A toolstack's slow resume
	 * (xc_domain_resume() with fast=0) reports that too when it hands
	 * back the very same domain, and then Xen still holds our control
	 * blocks, the event array and every queue.  Xen accepts one control
	 * block per vCPU until EVTCHNOP_reset and refuses the next one with
	 * -EINVAL, so offer a block it took before, untouched.  -EINVAL may
	 * also mean that Xen could not map the frame, though, so it counts
	 * only once Xen confirms that the domain is on FIFO: a new domain
	 * starts on 2-level and stays there until a block is accepted.  In
	 * that case nothing is registered again, the queues keep the events
	 * that came meanwhile, and the core keeps every binding.
	 */
	if (asked < nr_cpu_ids) {
		asked_ret = fifo_give_block(asked, fifo_state(asked)->block);
		if (asked_ret == -EINVAL) {
			if (fifo_xen_has_fifo()) {
				pr_info("same domain after resume: Xen still has the FIFO control blocks\n");
				return EVTCHN_RESUME_KEPT;
			}
			pr_warn("resume: control block of CPU %u refused (-EINVAL) but the domain is not on FIFO: taken as a new domain\n",
				asked);
		}
	}

	/*
	 * Really a new domain.  None of our pages are known to Xen any more,
	 * so the count of event array pages drops to zero; the pages stay
	 * allocated and are handed over again, one by one, when the core
	 * sets up ports beyond the ones already covered.
	 */
	fifo_forget_xen();

	/*
	 * The block Xen took before resume is registered with the new domain
	 * already, as it was.  Xen has not written to it yet (it queues
	 * nothing until it has an event array page), so clearing it now is
	 * as good as before the hypercall.  A refused block is offered once
	 * more, cleared: a new domain that refuses that too is not on FIFO
	 * and will not be (a host without FIFO): the core carries on with
	 * 2-level, and a later probe may try again with the pages kept here.
	 */
	if (asked < nr_cpu_ids && !asked_ret) {
		fifo_clear_queues(asked, fifo_state(asked)->block);
		fifo_state(asked)->registered = true;
	} else if (asked < nr_cpu_ids) {
		ret = fifo_register_cpu(asked);
		if (ret) {
			pr_warn("resume: control block of CPU %u refused (%d, then %d): FIFO ABI lost\n",
				asked, asked_ret, ret);
			return ret;
		}
	}

	for_each_possible_cpu(cpu) {
		struct fifo_cpu_state *state = fifo_state(cpu);

		if (state->registered || !state->block || !cpu_online(cpu))
			continue;	/* percpu_init registers it later */

		ret = fifo_register_cpu(cpu);
		if (ret)
			pr_err("CPU %u: control block not registered after resume (%d); its events are lost\n",
			       cpu, ret);
	}
	return EVTCHN_RESUMED;
}

/* ---- VIRQ_DEBUG ------------------------------------------------------ */

static void fifo_debug_dump(void)
{
	unsigned int limit = fifo_nr_ports();
	unsigned int cpu, queue;
	evtchn_port_t port;

	pr_info("FIFO-based ABI, dumped on CPU %u: %u ports set up\n",
		smp_processor_id(), limit);

	for_each_online_cpu(cpu) {
		struct fifo_cpu_state *state = fifo_state(cpu);
		struct evtchn_fifo_control_block *block = state->block;

		if (!block) {
			pr_info("  cpu %u: no control block\n", cpu);
			continue;
		}
		pr_info("  cpu %u:%s ready %#06x carry %#06x\n", cpu,
			state->registered ? "" : " unregistered",
			READ_ONCE(block->ready), READ_ONCE(state->carry));
		for (queue = 0; queue < EVTCHN_FIFO_MAX_QUEUES; queue++) {
			u32 head = READ_ONCE(block->head[queue]);
			u32 next = READ_ONCE(state->next[queue]);

			if (head || next)
				pr_info("    queue %2u: HEAD %u next %u\n",
					queue, head, next);
		}
	}

	/* Only ports in some state of interest: pending, queued or busy. */
	for (port = 1; port < limit; port++) {
		event_word_t w = READ_ONCE(*fifo_word(port));

		if (!(w & (FIFO_PENDING | FIFO_LINKED | FIFO_BUSY)))
			continue;
		pr_info("  port %u:%s%s%s%s link %u\n", port,
			w & FIFO_PENDING ? " pending" : "",
			w & FIFO_MASKED ? " masked" : "",
			w & FIFO_LINKED ? " linked" : "",
			w & FIFO_BUSY ? " busy" : "",
			w & FIFO_LINK);
	}
}

static const struct evtchn_ops evtchn_fifo_ops = {
	.max_channels	= fifo_max_channels,
	.nr_channels	= fifo_nr_channels,
	.percpu_init	= fifo_percpu_init,
	.percpu_deinit	= fifo_percpu_deinit,
	.resume		= fifo_resume,
	.setup		= fifo_setup,
	.bind_to_cpu	= fifo_bind_to_cpu,
	.set_pending	= fifo_set_pending,
	.is_pending	= fifo_is_pending,
	.clear_pending	= fifo_clear_pending,
	.is_masked	= fifo_is_masked,
	.mask		= fifo_mask,
	.unmask		= fifo_unmask,
	.set_priority	= fifo_set_priority,
	.handle_events	= fifo_handle_events,
	.debug_dump	= fifo_debug_dump,
};

/*
 * Xen refused the boot CPU's control block with -EINVAL.  A fresh page at
 * offset 0 is refused so when the vCPU has a block already, or when Xen
 * cannot map the page.  The first is what a kernel started by kexec or
 * kdump without SHUTDOWN_soft_reset finds: the FIFO ABI as the kernel
 * before left it, with its control blocks and event array (memory that is
 * ours now, which Xen still writes to) and its bound ports.  Falling back
 * to 2-level would not help, Xen would stay on FIFO and deliver nothing.
 *
 * Only once Xen confirms that the domain is on FIFO is it taken back with
 * EVTCHNOP_reset, which closes every port and returns it to 2-level, and
 * the block offered once more.  Nobody makes the channels again after
 * that reset (unlike after a soft reset, where the toolstack rebuilds
 * them): a domU loses its xenstore and console channels; dom0 has bound
 * none yet at probe time.  Without the reset no event would come at all.
 * Not confirmed: return -EINVAL as it was, and the core falls back.
 */
static int fifo_take_over(unsigned int cpu)
{
	struct evtchn_reset reset = { .dom = DOMID_SELF };
	int ret;

	if (!fifo_xen_has_fifo())
		return -EINVAL;

	pr_warn("FIFO ABI already set up (by a previous kernel?): resetting every event channel\n");
	ret = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &reset);
	if (ret) {
		pr_crit("EVTCHNOP_reset failed (%d): Xen stays on FIFO and still writes to the previous kernel's control blocks and event array pages, memory now in use by this kernel\n",
			ret);
		return ret;
	}

	ret = fifo_register_cpu(cpu);
	if (ret)
		pr_err("control block refused again after EVTCHNOP_reset (%d)\n",
		       ret);
	return ret;
}

/**
 * evtchn_fifo_probe() - switch the domain to the FIFO-based ABI
 * @ops: set to the FIFO operations on success
 *
 * Registers the boot CPU's control block, which is what switches the
 * domain to FIFO, then gives Xen the first page of the event array.  The
 * other CPUs register theirs in percpu_init as they come up.
 *
 * The memory is allocated before the switch, so that after it only the
 * hypervisor can fail: once the control block is registered the domain
 * cannot go back to 2-level, and an expand failure from then on is left
 * for setup() to retry when the first port is bound.  A domain that Xen
 * confirms a previous kernel left on FIFO is reset first (see
 * fifo_take_over()).
 *
 * Context: domain on 2-level, at boot or in a run-time switch with ports
 * bound (events_internal.h): the event array starts all masked, and Xen
 * carries 2-level pending bits over.  Allocates with GFP_KERNEL.
 *
 * Return: 0 with *@ops set, -ENOMEM, or the hypervisor's error for
 * EVTCHNOP_init_control (-ENOSYS on a Xen without FIFO support) or for
 * EVTCHNOP_reset; on error the domain stays on the 2-level ABI, unless
 * the reset of a domain a previous kernel left on FIFO failed.
 */
int evtchn_fifo_probe(const struct evtchn_ops **ops)
{
	/* Any CPU's block may be registered from anywhere: no need to pin. */
	unsigned int cpu = raw_smp_processor_id(), other;
	bool own_page = false;
	int ret;

	if (!fifo_page[0]) {
		fifo_page[0] = (event_word_t *)__get_free_page(GFP_KERNEL);
		if (!fifo_page[0])
			return -ENOMEM;
		own_page = true;
	}

	ret = fifo_register_cpu(cpu);
	if (ret == -EINVAL)
		ret = fifo_take_over(cpu);
	if (ret) {
		if (own_page) {
			free_page((unsigned long)fifo_page[0]);
			fifo_page[0] = NULL;
		}
		return ret;
	}

	/*
	 * The other online CPUs (a run-time switch; at boot there are none)
	 * register before the first page: Xen re-raises the events carried
	 * over from 2-level as the page comes, and one for a vCPU without a
	 * control block would only be logged and dropped there.  A CPU that
	 * fails here is tried again by the core's percpu_init.
	 */
	for_each_online_cpu(other)
		if (other != cpu)
			fifo_register_cpu(other);

	if (!fifo_nr_pages) {
		ret = fifo_add_page();
		if (ret)
			pr_warn("no event array yet (%d); trying again at the first bind\n",
				ret);
	}

	*ops = &evtchn_fifo_ops;
	return 0;
}
