// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin (API version 1, QEMU 7.2) that counts the
 * guest instructions each vCPU executes and, at every marker instruction,
 * writes how many ran on that vCPU since its previous marker, split by
 * address into Xen, the dom0 kernel and user space.
 *
 *   qemu-system-x86_64 ... -plugin build/insn-count.so,out=/path/marks.txt
 *
 * Marker: "nopl 0x5845TTTT(%rax)", bytes 0f 1f 80 TT TT 45 58 (a
 * multi-byte no-op with a 32-bit displacement whose high half is "XE");
 * the tag is the displacement's low 16 bits.  drivers/xen/xen_evtchn_bench.c
 * emits it with XEB_MARK(tag).  Recognised by its bytes when a block is
 * translated; no register is read.
 *
 * Output, one line per marker executed:
 *
 *   VCPU TAG PREV XEN KERNEL USER
 *
 * TAG and PREV in hex (PREV: the tag of the previous marker on this vCPU,
 * "-" for the first), the counts in decimal: the instructions executed on
 * this vCPU from the previous marker (inclusive) up to this one
 * (exclusive).  Lines starting with '#' are comments.
 *
 * Counting: one execution callback per translated block, whose user data
 * carries the block's instruction counts per address class, worked out at
 * translation time.  A block holding markers is cut into segments: the
 * block callback adds the instructions before the first marker, and each
 * marker's own instruction callback writes the line, starts a new interval
 * and adds the instructions from the marker to the next marker or the
 * block's end.  So the count stops exactly at the marker, wherever it sits
 * in its block.  Callbacks get the vCPU index, so each vCPU has its own
 * counters, touched only by its own thread: exact under multi-threaded
 * TCG (inline counters would share one address and lose counts).
 *
 * Limit: a block is counted in full when it is entered.  A block left
 * early by an exception (a page fault, a trapped privileged instruction)
 * counts its instructions after the faulting one too; the same path
 * faulting the same way counts the same, so the figure stays repeatable,
 * but it may exceed the instructions retired by a few.
 *
 * Address classes (x86-64 PV under Xen 4.17): Xen owns
 * 0xffff800000000000-0xffff87ffffffffff (its text at 0xffff82d0........);
 * the rest of the upper half is the dom0 kernel; the lower half is user
 * space.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { C_XEN, C_KERNEL, C_USER, NR_CLASSES };

#define XEN_LO		0xffff800000000000ULL
#define XEN_HI		0xffff880000000000ULL
#define UPPER_HALF	0xffff800000000000ULL
#define MARK_LEN	7
#define NO_TAG		(-1)

/* Per-vCPU running counts; each entry is written by its vCPU's thread. */
struct vcpu_count {
	uint64_t n[NR_CLASSES];
	int prev_tag;
	char pad[64 - NR_CLASSES * sizeof(uint64_t) - sizeof(int)];
};

/* The part of a block from one marker to the next (or the block's end). */
struct segment {
	int tag;
	uint16_t n[NR_CLASSES];
};

/* A block with markers: segment 0 precedes the first marker. */
struct marked_block {
	unsigned int nr;	/* markers */
	struct segment seg[];	/* nr + 1 */
};

static struct vcpu_count *vcpus;
static unsigned int nr_vcpus;
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t lines_written;

static int addr_class(uint64_t va)
{
	if (va >= XEN_LO && va < XEN_HI)
		return C_XEN;
	return va >= UPPER_HALF ? C_KERNEL : C_USER;
}

/* The marker's tag, or NO_TAG when @insn is not a marker. */
static int marker_tag(const struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != MARK_LEN)
		return NO_TAG;
	if (b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80 || b[5] != 0x45 ||
	    b[6] != 0x58)
		return NO_TAG;
	return b[3] | b[4] << 8;
}

/*
 * A block without markers keeps its three counts in the user data pointer
 * itself (16 bits each; a block holds at most 512 instructions), so the
 * common case allocates nothing.
 */
static void *pack_counts(const unsigned int n[NR_CLASSES])
{
	uintptr_t v = 0;
	int c;

	for (c = 0; c < NR_CLASSES; c++)
		v |= (uintptr_t)(n[c] & 0xffff) << (16 * c);
	return (void *)v;
}

static struct vcpu_count *vcpu(unsigned int idx)
{
	return idx < nr_vcpus ? &vcpus[idx] : NULL;
}

static void exec_plain(unsigned int idx, void *udata)
{
	struct vcpu_count *v = vcpu(idx);
	uintptr_t p = (uintptr_t)udata;
	int c;

	if (!v)
		return;
	for (c = 0; c < NR_CLASSES; c++)
		v->n[c] += (p >> (16 * c)) & 0xffff;
}

static void exec_marked_block(unsigned int idx, void *udata)
{
	struct vcpu_count *v = vcpu(idx);
	const struct marked_block *mb = udata;
	int c;

	if (!v)
		return;
	for (c = 0; c < NR_CLASSES; c++)
		v->n[c] += mb->seg[0].n[c];
}

static void exec_marker(unsigned int idx, void *udata)
{
	struct vcpu_count *v = vcpu(idx);
	const struct segment *s = udata;
	char prev[8];
	int c;

	if (!v)
		return;
	if (v->prev_tag == NO_TAG)
		snprintf(prev, sizeof(prev), "-");
	else
		snprintf(prev, sizeof(prev), "%04x", v->prev_tag);
	pthread_mutex_lock(&out_lock);
	fprintf(out, "%u %04x %s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", idx,
		s->tag, prev, v->n[C_XEN], v->n[C_KERNEL], v->n[C_USER]);
	lines_written++;
	pthread_mutex_unlock(&out_lock);
	v->prev_tag = s->tag;
	for (c = 0; c < NR_CLASSES; c++)
		v->n[c] = s->n[c];
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i, markers = 0;
	unsigned int count[NR_CLASSES] = { 0 };
	struct marked_block *mb;
	struct segment *s;

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (marker_tag(insn) != NO_TAG)
			markers++;
		count[addr_class(qemu_plugin_insn_vaddr(insn))]++;
	}
	if (!markers) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, exec_plain,
						     QEMU_PLUGIN_CB_NO_REGS,
						     pack_counts(count));
		return;
	}

	/* Kept for as long as the block may run: never freed. */
	mb = calloc(1, sizeof(*mb) + (markers + 1) * sizeof(mb->seg[0]));
	if (!mb) {
		fprintf(stderr, "insn-count: out of memory\n");
		abort();
	}
	mb->nr = markers;
	s = &mb->seg[0];
	s->tag = NO_TAG;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int tag = marker_tag(insn);

		if (tag != NO_TAG) {
			s++;
			s->tag = tag;
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, exec_marker, QEMU_PLUGIN_CB_NO_REGS, s);
		}
		s->n[addr_class(qemu_plugin_insn_vaddr(insn))]++;
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, exec_marked_block,
					     QEMU_PLUGIN_CB_NO_REGS, mb);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	pthread_mutex_lock(&out_lock);
	fprintf(out, "# end: %" PRIu64 " markers\n", lines_written);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	unsigned int i;
	int a;

	for (a = 0; a < argc; a++) {
		if (!strncmp(argv[a], "out=", 4)) {
			path = argv[a] + 4;
		} else {
			fprintf(stderr, "insn-count: unknown argument '%s' (want out=PATH)\n",
				argv[a]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "insn-count: missing out=PATH\n");
		return -1;
	}
	if (!info->system_emulation || info->system.max_vcpus <= 0) {
		fprintf(stderr, "insn-count: system emulation only\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "insn-count: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Line-buffered: the file is complete even if QEMU is killed. */
	setvbuf(out, NULL, _IOLBF, 0);
	nr_vcpus = info->system.max_vcpus;
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	if (!vcpus)
		return -1;
	for (i = 0; i < nr_vcpus; i++)
		vcpus[i].prev_tag = NO_TAG;
	fprintf(out, "# insn-count: vcpu tag prev xen kernel user (%s, %u vCPUs)\n",
		info->target_name, nr_vcpus);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
