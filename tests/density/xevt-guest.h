/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What xevt-guest and xevt-density share: where the guest keeps its
 * counters (in its start_info page, after the structure) and their layout.
 */
#ifndef XEVT_GUEST_H
#define XEVT_GUEST_H

#include <stdint.h>

#define XG_MAGIC	0x3147545345475858ULL	/* "XXGESTG1": counters valid */
#define XG_STATS_OFF	2048
#define XG_MAX_CHANNELS	128	/* Xen's limit on a SCHEDOP_poll set */

struct xg_stats {
	uint64_t magic;		/* XG_MAGIC once the first sends are done */
	uint64_t channels;	/* ports 1..channels */
	uint64_t received;	/* events taken off a pending bit */
	uint64_t sent;		/* successful EVTCHNOP_send */
	uint64_t send_errors;	/* failed EVTCHNOP_send */
	uint64_t wakeups;	/* returns from SCHEDOP_poll */
};

#endif /* XEVT_GUEST_H */
