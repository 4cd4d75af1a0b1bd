# SPDX-License-Identifier: GPL-2.0
#
# Single entry point: dependencies, the overlaid 6.1 tree, the kernel, the
# test initramfs, booting dom0 under Xen in QEMU, and the tests.
#
#   make run [ARGS="xen.fifo_events=0"] [XEN=/path/to/xen]
#   make check          every test layer; ends with "N passed, N failed"
#   make kernel         build; the last line printed is the image path
#   make check-host     userspace harness only
#   make bench-host     instructions per event of each ABI (callgrind)
#   make fuzz-host [FUZZ_SECONDS=600]  long fuzz run of the host harness
#   make check-boot     boot tests only
#   make xen            Xen 4.17 + xen/patches (3-level ABI); last line = ELF
#   make bench          ours vs upstream in dom0 (BENCH_RUNS=5); last line = table
#   make insn-plugin    the instruction-counting QEMU plugin (tools/insn-count)
#   make bench-insn     exact instruction counts per event and round trip
#   make density        thousands of real guests per ABI, to the ceiling
#   make mutants [MUTANTS=names|host|kernel]  known bugs put back, one at a time
#   UPSTREAM_EVENTS=1   any of the above with upstream's events code
#   KERNEL=6.12         tree, kernel, run on the Debian 6.12 base (default 6.1)

SHELL      := /bin/bash
REPO       := $(CURDIR)
BUILD      ?= $(CURDIR)/build
XEN        ?= $(BUILD)/xen/xen-4.17.elf
ARGS       ?=
# KERNEL: the Debian base the overlay is laid on.  6.1 (the default) keeps
# the historical paths (build/linux-base, build/linux); any other base has
# its own, suffixed (build/linux-base-6.12, build/linux-6.12), and its
# per-base patches in patches/$(KERNEL)/ (mk/prepare-tree.sh).
KERNEL     ?= 6.1
ifeq ($(filter 6.1 6.12,$(KERNEL)),)
$(error KERNEL=$(KERNEL): no such base (6.1 or 6.12))
endif
export KERNEL
KSFX       := $(if $(filter 6.1,$(KERNEL)),,-$(KERNEL))
# UPSTREAM_EVENTS=1: the same tree and config with upstream's event channel
# code instead of ours (the baseline for comparisons), in its own tree.
ifeq ($(UPSTREAM_EVENTS),1)
export OVERLAY_EXCLUDE := drivers/xen/events/ include/xen/events.h
export TREE := $(BUILD)/linux-upstream$(KSFX)
else ifneq ($(KSFX),)
export TREE := $(BUILD)/linux$(KSFX)
endif
KTREE      := $(if $(TREE),$(TREE),$(BUILD)/linux)
KIMAGE     := $(KTREE)/obj-main/arch/x86/boot/bzImage
INITRD     := $(BUILD)/initramfs.cpio.gz
CHECKDIR   := $(BUILD)/check
# Tables with "# @kernel: 6.12" boot rows of other tables on the 6.12 base
# as well; under KERNEL=6.12 the main kernel is that one, so they are left out.
K612_TABLES_ALL := $(shell grep -l '^\#[[:space:]]*@kernel:[[:space:]]*6\.12' tests/boot/*.table 2>/dev/null)
BOOT_TABLES := $(sort $(filter-out $(if $(KSFX)$(filter 1,$(UPSTREAM_EVENTS)),$(K612_TABLES_ALL)),\
	$(wildcard tests/boot/*.table)))
KFRAGS     := configs/kernel.config configs/kunit.config

.PHONY: all deps tree kernel kernel-debug initramfs initramfs-image run check check-host check-boot \
	bench-host fuzz-host bench bench-insn insn-plugin density mutants xen clean distclean help \
	rootfs host-payload run-host patches patches-check

all: kernel

# make help: the two commands, then the README's "Other targets" table, one
# line each (read from README.md, so the two cannot drift apart).
help:
	@printf '  %-37s %s\n' "make run" "build, boot Xen 4.17 + our kernel as PV dom0 under QEMU, show the ABI" \
		"make check" "install what is missing, build, run every test; last line \"N passed, N failed\""
	@awk -F' [|] ' '/^## Other targets/ { t = 1; next } /^## / { t = 0 } \
		t && /^\| `/ { sub(/^\| /, ""); sub(/ \|$$/, "", $$2); gsub(/`/, "", $$1); \
		gsub(/`/, "", $$2); printf "  %-37s %s\n", $$1, $$2 }' README.md

deps:
	@mk/deps.sh $(BUILD)

tree: deps
	@mk/prepare-tree.sh $(REPO) $(BUILD)

kernel: tree
	@mk/build-kernel.sh $(BUILD) main $(KFRAGS)

# Static test programs for the initramfs's /bin (tests/userspace/xevt-*.c,
# each linked with the shared helpers in xevt.c); plain gcc, no libxen.
UTEST_DIR  := $(BUILD)/userspace
UTEST_LIB  := tests/userspace/xevt.c tests/userspace/xevt.h
UTEST_BINS := $(patsubst tests/userspace/%.c,$(UTEST_DIR)/%,\
	$(wildcard tests/userspace/xevt-*.c))

$(UTEST_DIR)/%: tests/userspace/%.c $(UTEST_LIB)
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -Werror -pthread -o $@ $< \
		tests/userspace/xevt.c

# Standalone programs for the patched hypervisor (tests/userspace/xen3l_*.c).
XEN3L_BINS := $(patsubst tests/userspace/%.c,$(UTEST_DIR)/%,\
	$(wildcard tests/userspace/xen3l_*.c))

$(UTEST_DIR)/xen3l_%: tests/userspace/xen3l_%.c
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# The density test (tests/density/): a tiny PV guest kernel, which the
# initramfs carries in /lib/xevt, and the dom0 tool that starts thousands of
# them, linked statically against Debian's libxen-dev.  libxenguest's
# kernel loaders and arch hooks register themselves from constructors that
# nothing references, hence --whole-archive.
DENSITY_BIN := $(UTEST_DIR)/xevt-density
GUEST_ELF   := $(UTEST_DIR)/xevt-guest
GUEST_SRC   := $(addprefix tests/density/,xevt-guest-head.S xevt-guest.c \
	xevt-guest.h xevt-guest.lds)
XEN_LIBS    := -Wl,--whole-archive -lxenguest -Wl,--no-whole-archive \
	-lxenctrl -lxenforeignmemory -lxendevicemodel -lxengnttab \
	-lxenevtchn -lxencall -lxentoolcore -lxentoollog \
	-lz -llzma -lbz2 -llzo2 -lzstd

$(GUEST_ELF): $(GUEST_SRC)
	@mkdir -p $(@D)
	gcc -Os -ffreestanding -fno-pic -fno-pie -no-pie -mno-red-zone \
		-mno-sse -mno-mmx -fno-stack-protector \
		-fno-asynchronous-unwind-tables -nostdlib -static \
		-Wall -Wextra -Werror -Wl,-T,tests/density/xevt-guest.lds \
		-Wl,--build-id=none -Wl,-z,max-page-size=4096 \
		-Wl,--no-warn-rwx-segments -o $@ \
		tests/density/xevt-guest-head.S tests/density/xevt-guest.c

$(DENSITY_BIN): tests/density/xevt-density.c tests/density/xevt-guest.h
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $< $(XEN_LIBS)

# Dom0 tools for the real-toolstack tests (tests/host/), linked like the
# density tool: xevt-softreset finishes a PVH guest's soft reset.
HOST_BINS := $(UTEST_DIR)/xevt-softreset

$(UTEST_DIR)/xevt-softreset: tests/host/xevt-softreset.c
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -Werror -o $@ $< -lxenstore $(XEN_LIBS)

# The test programs and the image are one step (mk/step.sh): one line on
# the terminal, the compiler's output in $(BUILD)/logs/initramfs.log.
initramfs: tree
	@mk/step.sh -l $(BUILD)/logs/initramfs.log \
		"building the test programs and the test initramfs" \
		"cold: ~1 min on 2 cores; then seconds" \
		$(MAKE) --no-print-directory initramfs-image
	@echo $(INITRD)

initramfs-image: $(UTEST_BINS) $(XEN3L_BINS) $(DENSITY_BIN) $(HOST_BINS) $(GUEST_ELF)
	mk/mkinitramfs.sh $(REPO) $(BUILD) $(INITRD) $(UTEST_BINS) $(XEN3L_BINS) \
		$(DENSITY_BIN) $(HOST_BINS) lib:$(GUEST_ELF)

run: kernel initramfs
	@mk/run.sh $(XEN) $(KIMAGE) $(INITRD) $(BUILD)/run.log "$(ARGS)"

# Each layer leaves a <layer>.results file in $(CHECKDIR); a layer that
# cannot even build records that as a failed test, so the summary below
# always sees it.  The summary's exit status is the verdict.
# Everything the layers print goes to the terminal and to
# $(CHECKDIR)/output.log, which mk/quiet-output.sh checks for apt or compiler
# lines that escaped a step's log (a test of its own, 4-output.results).
# STEP_TTY keeps mk/step.sh's one updating line when the terminal is behind
# tee.
check:
	@rm -rf $(CHECKDIR) && mkdir -p $(CHECKDIR)
	@tty=0; [ -t 2 ] && tty=1; \
	{ STEP_TTY=$${STEP_TTY:-$$tty} $(MAKE) --no-print-directory -k check-host check-boot || true; } \
		2>&1 | tee $(CHECKDIR)/output.log
	@mk/quiet-output.sh $(CHECKDIR)/output.log >$(CHECKDIR)/4-output.results || true
	@mk/summary.sh $(CHECKDIR)

check-host: deps
	@mkdir -p $(CHECKDIR)
	@: >$(CHECKDIR)/1-host.results
	@if [ -f tools/testing/xen-events/Makefile ]; then \
		mk/check-host.sh $(REPO) $(BUILD) $(CHECKDIR); \
	fi

# The host harness's benchmark and long fuzz run (tools/testing/xen-events);
# both need the kernel tree only for the Xen ABI headers.
HOST_MAKE := $(MAKE) --no-print-directory -C tools/testing/xen-events \
	BUILD=$(BUILD) O=$(BUILD)/xen-events
FUZZ_SECONDS ?= 600

bench-host: deps
	@[ -f $(BUILD)/linux-base/.unpacked ] || mk/prepare-tree.sh $(REPO) $(BUILD)
	@$(HOST_MAKE) bench

fuzz-host: deps
	@[ -f $(BUILD)/linux-base/.unpacked ] || mk/prepare-tree.sh $(REPO) $(BUILD)
	@$(HOST_MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# Images the boot tables may ask for (see mk/check-boot.sh).
export KIMAGE_main  := $(KIMAGE)
export KIMAGE_debug := $(KTREE)/obj-debug/arch/x86/boot/bzImage
export KIMAGE_6_12  := $(BUILD)/linux-6.12/obj-main/arch/x86/boot/bzImage
export XEN_stock    := $(XEN)
export INITRD
DEBUG_TABLES := $(shell grep -l '^\#[[:space:]]*@kernel:[[:space:]]*debug' $(BOOT_TABLES) 2>/dev/null)
K612_TABLES  := $(shell grep -l '^\#[[:space:]]*@kernel:[[:space:]]*6\.12' $(BOOT_TABLES) 2>/dev/null)

# make xen: Debian's xen 4.17 source package (fetched once into
# $(BUILD)/xen-src) with xen/patches/*.patch, hypervisor only.  Tables with
# "# @xen: patched" boot it; check-boot builds it when one does.
XEN_PATCHED := $(BUILD)/xen-src/xen-4.17-3l.elf
export XEN_patched := $(XEN_PATCHED)
XEN_TABLES := $(shell grep -l '^\#[[:space:]]*@xen:[[:space:]]*patched' $(BOOT_TABLES) 2>/dev/null)

# The real dom0 userland (issue 13): the Debian 12 root filesystem with
# Debian's Xen toolstack (mk/rootfs.sh, cached outside the checkout, keyed
# by a hash of the script) and the guests' payload (our kernel and the
# test initramfs on a small ext4 image).  Tables with "# @rootfs: yes"
# attach both; check-boot builds them when one does.
export ROOTFS_IMG   := $(BUILD)/rootfs.img
export HOST_PAYLOAD := $(BUILD)/host-payload.img
ROOTFS_TABLES := $(shell grep -l '^\#[[:space:]]*@rootfs:[[:space:]]*yes' $(BOOT_TABLES) 2>/dev/null)

rootfs: deps
	@mk/rootfs.sh $(BUILD)

host-payload: kernel initramfs
	@mk/host-payload.sh $(HOST_PAYLOAD) $(KIMAGE) $(INITRD)

# make run-host: the real thing for a newcomer: that dom0 starts two
# guests with a vif and a vbd each through xl, shows xl list, the channel
# lines of /proc/interrupts and the per-domain view, and shuts them down.
run-host: rootfs host-payload
	@mk/run-host.sh $(XEN) $(KIMAGE) $(INITRD) $(BUILD)

xen:
	@mk/xen-deps.sh $(BUILD)
	@mk/build-xen.sh $(REPO) $(BUILD)

# make patches: the overlay as a git format-patch series for each base
# (mk/patches/linux.series) and xen/patches/ for Debian's Xen 4.17 source,
# each with a cover letter, in $(BUILD)/patches/{6.1,6.12,xen}/.
# make patches-check: the series of KERNEL= (default 6.1) and the Xen one
# applied with git am on fresh copies of their bases and built after
# every patch, checkpatch.pl --strict on each Linux patch; one line per
# patch (mk/patches-check.sh).
patches: deps
	@for k in 6.1 6.12; do \
		[ -f $(BUILD)/linux-base$$( [ $$k = 6.1 ] || echo -$$k)/.unpacked ] || \
			KERNEL=$$k mk/prepare-tree.sh $(REPO) $(BUILD) || exit 1; \
		KERNEL=$$k mk/patches.sh $(REPO) $(BUILD) linux >/dev/null || exit 1; \
	done
	@[ -f $(BUILD)/xen-src/pristine/.unpacked ] || mk/xen-deps.sh $(BUILD)
	@mk/patches.sh $(REPO) $(BUILD) xen >/dev/null
	@echo $(BUILD)/patches

patches-check: patches
	@rc=0; mk/patches-check.sh $(REPO) $(BUILD) linux || rc=1; \
	mk/patches-check.sh $(REPO) $(BUILD) xen || rc=1; exit $$rc

# make bench: our kernel and the upstream baseline (UPSTREAM_EVENTS=1, same
# tree and config) booted alternately as dom0, the workloads of
# drivers/xen/xen_evtchn_bench.c in each; see mk/bench.sh for BENCH_*.
bench: deps
	@mk/bench.sh $(REPO) $(BUILD)

# make insn-plugin: tools/insn-count/insn-count.c, a QEMU TCG plugin that
# counts guest instructions between marker instructions, built against
# qemu-plugin.h from Debian's QEMU source package (fetched once into
# $(BUILD)/qemu-plugin/); last line = the plugin's path.
# make bench-insn: dom0 booted with it on FIFO and 2-level, the marker
# workloads of drivers/xen/xen_evtchn_bench.c (one event, a round trip,
# K pending, binds, the curve over idle ports) and of xevt-insn (the same
# from user space); table, CSV and plot in $(BUILD)/bench-insn/; see
# mk/bench-insn.sh.
insn-plugin: deps
	@mk/insn-plugin.sh $(REPO) $(BUILD)

bench-insn: deps
	@mk/bench-insn.sh $(REPO) $(BUILD)

# make density: real PV guests (tests/density/) pushed to each ABI's
# ceiling, one boot per run; table, CSV and plot in $(BUILD)/density/.
density: deps
	@mk/density.sh $(REPO) $(BUILD)

# make mutants: each tests/mutants/*.patch (a known bug put back in our
# design) applied to a copy, rebuilt, and run against the tests that claim
# to guard it; one line per mutant, killed (by which test) or survived;
# see mk/mutants.sh.  MUTANTS= names, or host / kernel.
MUTANTS ?=
mutants: deps
	@mk/prepare-tree.sh $(REPO) $(BUILD)
	@if echo " $(MUTANTS) " | grep -qv ' host '; then \
		$(MAKE) --no-print-directory initramfs >/dev/null && \
		{ grep -lq '^Xen: *patched' tests/mutants/*.patch 2>/dev/null && \
		  $(MAKE) --no-print-directory xen >/dev/null || true; }; \
	fi
	@mk/mutants.sh $(REPO) $(BUILD) $(MUTANTS)

kernel-debug: tree
	@mk/build-kernel.sh $(BUILD) debug $(KFRAGS) configs/debug.config

# The builds print their mk/step.sh lines (stderr) on the terminal, their
# compiler output in $(BUILD)/logs/; stdout (the image paths) goes to
# $(CHECKDIR)/build*.log.
STEP_FAILED := see the FAILED step above; logs in $(BUILD)/logs
check-boot:
	@mkdir -p $(CHECKDIR)
	@if ! $(MAKE) --no-print-directory kernel initramfs >$(CHECKDIR)/build.log; then \
		echo "not ok build kernel and initramfs # $(STEP_FAILED)" \
			>$(CHECKDIR)/2-build.results; \
	else \
		echo "ok build kernel and initramfs" >$(CHECKDIR)/2-build.results; \
		build() { what=$$1 log=$$2; shift 2; \
			if $(MAKE) --no-print-directory "$$@" >$(CHECKDIR)/$$log; then \
				echo "ok build $$what" >>$(CHECKDIR)/2-build.results; \
			else \
				echo "not ok build $$what # $(STEP_FAILED)" >>$(CHECKDIR)/2-build.results; \
			fi; }; \
		[ -z "$(DEBUG_TABLES)" ] || build "debug kernel" build-debug.log kernel-debug; \
		[ -z "$(K612_TABLES)" ] || build "6.12 kernel" build-6.12.log kernel KERNEL=6.12; \
		[ -z "$(ROOTFS_TABLES)" ] || build "dom0 root filesystem and guest payload" \
			build-rootfs.log rootfs host-payload; \
		[ -z "$(XEN_TABLES)" ] || build "patched xen" build-xen.log xen; \
		mk/check-boot.sh $(CHECKDIR) $(BOOT_TABLES); \
	fi

clean:
	rm -rf $(BUILD)/linux$(KSFX)/obj-* $(BUILD)/check $(BUILD)/*.log $(INITRD)

distclean:
	rm -rf $(BUILD)
