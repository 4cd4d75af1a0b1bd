// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's list of ABIs, its choice at boot and its fallback on resume
 * (drivers/xen/events/events_abi.c), compiled unmodified against the shim
 * as the backends are: the harness core (harness.c) makes an ABI the one
 * in use, chooses one at boot and resumes only through it.
 *
 * A backend left out of the build (see the Makefile) leaves its probe an
 * undefined weak symbol, NULL: tests needing that ABI are not run.
 */
#include "events_kernel.h"
#include "include/core.h"

#pragma weak evtchn_2l_probe
#pragma weak evtchn_fifo_probe
#pragma weak evtchn_3l_probe

/* events_abi.c names its messages itself, as the kernel builds it. */
#undef pr_fmt

#include "../../../drivers/xen/events/events_abi.c"
