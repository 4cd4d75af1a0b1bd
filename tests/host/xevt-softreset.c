// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-softreset: finish a soft reset (a guest's kexec) of a PVH domain
 * that xl cannot: Xen 4.17's libxl soft-resets HVM domains only and
 * refuses a PVH one (libxl_domain_soft_reset() returns ERROR_INVAL, after
 * which xl destroys the domain), so the guest's config says
 * on_soft_reset = "preserve" and dom0's test (initramfs/tests/xl-kexec.sh)
 * runs this instead, as libxl does for an HVM domain:
 *
 *  1. check that DOMID has shut down with reason SHUTDOWN_soft_reset;
 *  2. pause it (it must not run before its new channels exist);
 *  3. XEN_DOMCTL_soft_reset: Xen closes every event channel of the
 *     domain (the domain is back on the 2-level ABI), resets its grant
 *     table and vCPU info areas and resumes it from its shutdown;
 *  4. new xenstore and console channels (offered to dom0), written to
 *     HVM_PARAM_STORE_EVTCHN / HVM_PARAM_CONSOLE_EVTCHN, where the next
 *     kernel looks for them;
 *  5. xenstored told the new xenstore port (XS_INTRODUCE of a known
 *     domain rebinds it), xenconsoled the new console port (it watches
 *     the domain's console/port node);
 *  6. unpause: the guest goes on in its kexec path into the new kernel.
 *
 * Usage: xevt-softreset DOMID.  Each step prints one line; a failing one
 * says what failed with errno, exits 1 and leaves the domain paused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>
#include <xenstore.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

static int fail(const char *what)
{
	fprintf(stderr, "xevt-softreset: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_port(struct xs_handle *xsh, unsigned int domid,
		      const char *node, unsigned int port)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, node);
	snprintf(val, sizeof(val), "%u", port);
	return xs_write(xsh, XBT_NULL, path, val, strlen(val)) ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t store_pfn;
	xc_domaininfo_t info;
	struct xs_handle *xsh;
	xc_interface *xch;
	unsigned int domid;
	int store, console;

	if (argc != 2) {
		fprintf(stderr, "usage: xevt-softreset DOMID\n");
		return 2;
	}
	domid = strtoul(argv[1], NULL, 0);
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch)
		return fail("xc_interface_open");
	xsh = xs_open(0);
	if (!xsh)
		return fail("xs_open");

	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != domid)
		return fail("no such domain");
	if (!(info.flags & XEN_DOMINF_shutdown) ||
	    ((info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask) !=
	    SHUTDOWN_soft_reset) {
		errno = EINVAL;
		fprintf(stderr,
			"xevt-softreset: domain %u has not shut down for a soft reset (flags %#x)\n",
			domid, info.flags);
		return 1;
	}
	printf("domain %u: shut down for a soft reset\n", domid);

	if (xc_domain_pause(xch, domid))
		return fail("xc_domain_pause");
	if (xc_domain_soft_reset(xch, domid))
		return fail("xc_domain_soft_reset");
	printf("domain %u: reset (every event channel closed)\n", domid);

	store = xc_evtchn_alloc_unbound(xch, domid, 0);
	if (store < 0)
		return fail("xenstore channel: xc_evtchn_alloc_unbound");
	console = xc_evtchn_alloc_unbound(xch, domid, 0);
	if (console < 0)
		return fail("console channel: xc_evtchn_alloc_unbound");
	if (xc_hvm_param_set(xch, domid, HVM_PARAM_STORE_EVTCHN, store) ||
	    xc_hvm_param_set(xch, domid, HVM_PARAM_CONSOLE_EVTCHN, console))
		return fail("xc_hvm_param_set");
	if (xc_hvm_param_get(xch, domid, HVM_PARAM_STORE_PFN, &store_pfn))
		return fail("HVM_PARAM_STORE_PFN");
	printf("domain %u: new xenstore port %d, console port %d\n", domid,
	       store, console);

	if (write_port(xsh, domid, "store/port", store))
		return fail("xs_write store/port");
	if (!xs_introduce_domain(xsh, domid, store_pfn, store))
		return fail("xs_introduce_domain");
	if (write_port(xsh, domid, "console/port", console))
		return fail("xs_write console/port");

	if (xc_domain_unpause(xch, domid))
		return fail("xc_domain_unpause");
	printf("domain %u: running again\n", domid);
	xs_close(xsh);
	xc_interface_close(xch);
	return 0;
}
