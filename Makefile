# SPDX-License-Identifier: GPL-2.0
#
# Single entry point: dependencies, the overlaid 6.1 tree, the kernel, the
# test initramfs, booting dom0 under Xen in QEMU, and the tests.
#
#   make run [ARGS="xen.fifo_events=0"] [XEN=/path/to/xen]
#   make check          every test layer; ends with "N passed, N failed"
#   make kernel         build; the last line printed is the image path
#   make check-host     userspace harness only
#   make check-boot     boot tests only
#   UPSTREAM_EVENTS=1   any of the above with upstream's events code

SHELL      := /bin/bash
REPO       := $(CURDIR)
BUILD      ?= $(CURDIR)/build
XEN        ?= $(BUILD)/xen/xen-4.17.elf
ARGS       ?=
# UPSTREAM_EVENTS=1: the same tree and config with upstream's event channel
# code instead of ours (the baseline for comparisons), in its own tree.
ifeq ($(UPSTREAM_EVENTS),1)
export OVERLAY_EXCLUDE := drivers/xen/events/ include/xen/events.h
export TREE := $(BUILD)/linux-upstream
endif
KTREE      := $(if $(TREE),$(TREE),$(BUILD)/linux)
KIMAGE     := $(KTREE)/obj-main/arch/x86/boot/bzImage
INITRD     := $(BUILD)/initramfs.cpio.gz
CHECKDIR   := $(BUILD)/check
BOOT_TABLES := $(sort $(wildcard tests/boot/*.table))
KFRAGS     := configs/kernel.config

.PHONY: all deps tree kernel initramfs run check check-host check-boot \
	clean distclean help

all: kernel

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@mk/deps.sh $(BUILD)

tree: deps
	@mk/prepare-tree.sh $(REPO) $(BUILD)

kernel: tree
	@mk/build-kernel.sh $(BUILD) main $(KFRAGS)

initramfs: tree
	@mk/mkinitramfs.sh $(REPO) $(BUILD) $(INITRD)
	@echo $(INITRD)

run: kernel initramfs
	@mk/run.sh $(XEN) $(KIMAGE) $(INITRD) $(BUILD)/run.log "$(ARGS)"

# Each layer leaves a <layer>.results file in $(CHECKDIR); a layer that
# cannot even build records that as a failed test, so the summary below
# always sees it.  The summary's exit status is the verdict.
check:
	@rm -rf $(CHECKDIR) && mkdir -p $(CHECKDIR)
	@$(MAKE) --no-print-directory -k check-host check-boot || true
	@mk/summary.sh $(CHECKDIR)

check-host: deps
	@mkdir -p $(CHECKDIR)
	@: >$(CHECKDIR)/1-host.results
	@if [ -f tools/testing/xen-events/Makefile ]; then \
		mk/check-host.sh $(REPO) $(BUILD) $(CHECKDIR); \
	fi

check-boot:
	@mkdir -p $(CHECKDIR)
	@if ! $(MAKE) --no-print-directory kernel initramfs >$(CHECKDIR)/build.log 2>&1; then \
		tail -n 30 $(CHECKDIR)/build.log; \
		echo "not ok build kernel and initramfs # see $(CHECKDIR)/build.log" \
			>$(CHECKDIR)/2-build.results; \
	else \
		echo "ok build kernel and initramfs" >$(CHECKDIR)/2-build.results; \
		mk/check-boot.sh $(XEN) $(KIMAGE) $(INITRD) $(CHECKDIR) $(BOOT_TABLES); \
	fi

clean:
	rm -rf $(BUILD)/linux/obj-* $(BUILD)/check $(BUILD)/*.log $(INITRD)

distclean:
	rm -rf $(BUILD)
