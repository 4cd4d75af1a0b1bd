/* SPDX-License-Identifier: GPL-2.0-only */
/* <linux/container_of.h> of the kernel headers the harness includes: include/base.h. */
#include "../../base.h"
