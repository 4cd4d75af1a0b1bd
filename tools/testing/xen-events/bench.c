// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of delivering one event, for callgrind (see bench.sh):
 *
 *   xen-events-bench ABI BOUND PENDING EVENTS
 *
 * Binds BOUND ports to a peer domain on one CPU, then EVENTS / PENDING
 * times: raises PENDING ports spread over the whole range and takes the
 * upcall.  Only the upcalls are collected (CALLGRIND_TOGGLE_COLLECT around
 * them; run with --collect-atstart=no), so the model's own work of raising
 * is not counted.  What is counted: the core's upcall loop as the harness
 * plays it, the backend's handle_events(), and per event the harness's
 * evtchn_handle_port() with the backend's clear_pending() acknowledgment.
 */
#include <valgrind/callgrind.h>

#include "harness.h"

int main(int argc, char **argv)
{
	unsigned int bound, pending, events, i, k, done = 0;
	enum hx_abi abi;
	evtchn_port_t *port;

	if (argc != 5) {
		fprintf(stderr, "usage: %s 2l|fifo|3l BOUND PENDING EVENTS\n", argv[0]);
		return 2;
	}
	for (abi = 0; abi < HX_NR_ABIS; abi++)
		if (!strcmp(argv[1], hx_abi_name[abi]))
			break;
	bound = strtoul(argv[2], NULL, 0);
	pending = strtoul(argv[3], NULL, 0);
	events = strtoul(argv[4], NULL, 0);
	if (abi == HX_NR_ABIS || !hx_abi_built(abi) || !bound || !pending ||
	    pending > bound) {
		fprintf(stderr, "bench: bad arguments or ABI not built\n");
		return 2;
	}
	shim_set_echo(false);
	if (hx_setup_abi(abi, 1) || hx_abi() != abi) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	port = calloc(bound, sizeof(*port));
	if (!port || hx_bind_many(HX_PEER, bound, port)) {
		fprintf(stderr, "bench: cannot bind %u ports\n", bound);
		return 1;
	}
	hx_drain();

	CALLGRIND_START_INSTRUMENTATION;
	for (k = 0; done < events; k++) {
		/* A prime stride spreads the pending ports over the range. */
		for (i = 0; i < pending; i++)
			hx_raise(port[(k * pending + i) * 7919ULL % bound]);
		CALLGRIND_TOGGLE_COLLECT;
		hx_upcall(0);
		CALLGRIND_TOGGLE_COLLECT;
		done += pending;
	}
	CALLGRIND_STOP_INSTRUMENTATION;

	if (hx_total_delivered() != done) {
		fprintf(stderr, "bench: %llu delivered, %u raised\n",
			(unsigned long long)hx_total_delivered(), done);
		return 1;
	}
	printf("%s bound %u pending %u events %u\n", argv[1], bound, pending, done);
	free(port);
	return hx_finish() ? 0 : 1;
}
