// SPDX-License-Identifier: GPL-2.0-only
/*
 * The m3_* API of tests_3l.c on top of model.c (see model_3l.h).  Nothing
 * of the 3-level ABI is modelled here: only names are translated.
 */
#include "model_3l.h"

int m3_create(const struct m3_config *cfg)
{
	struct mx_config mc = {
		.nr_vcpus = cfg->nr_vcpus,
		.max_evtchn_port = cfg->max_evtchn_port,
		.no_fifo = cfg->no_fifo,
		.no_3l = cfg->stock,
		.domu = cfg->domu,
		.l3_odd_geometry = cfg->odd_geometry,
	};

	return mx_create(&mc);
}

void m3_destroy(void)
{
	mx_destroy();
}

void m3_new_domain(bool stock)
{
	mx_new_domain();
	mx_set_host(false, stock);
}

struct shared_info *m3_shared_info(void)
{
	return mx_shared_info();
}

struct vcpu_info *m3_vcpu_info(unsigned int vcpu)
{
	return mx_vcpu_info(vcpu);
}

enum m3_abi m3_abi(void)
{
	switch (mx_abi()) {
	case MX_ABI_3L:
		return M3_3L;
	case MX_ABI_FIFO:
		return M3_FIFO;
	default:
		return M3_2L;
	}
}

unsigned int m3_port_limit(void)
{
	return mx_port_limit();
}

int m3_raise(evtchn_port_t port)
{
	return mx_raise(port);
}

int m3_peer_connect(evtchn_port_t local)
{
	return mx_peer_connect(local);
}

xen_ulong_t *m3_sel2(unsigned int vcpu)
{
	return mx_3l_sel2(vcpu);
}

bool m3_l3_pending(evtchn_port_t port)
{
	return mx_3l_pending(port);
}

bool m3_l3_masked(evtchn_port_t port)
{
	return mx_3l_masked(port);
}

unsigned int m3_mapped_pages(void)
{
	unsigned int vcpu, n = mx_abi() == MX_ABI_3L ? 2 * M3_MAP_PAGES : 0;

	for (vcpu = 0; vcpu < M3_MAX_VCPUS; vcpu++)
		n += !!mx_3l_sel2(vcpu);
	return n;
}

bool m3_mapped_pages_live(void)
{
	return mx_registered_pages_live();
}

unsigned long m3_unmask_calls(evtchn_port_t port)
{
	return mx_unmask_calls(port);
}

unsigned int m3_ports_in_use(void)
{
	return mx_ports_in_use();
}

void m3_fail_op(int cmd, int sub, int err, unsigned int skip)
{
	mx_fail_op_add(cmd, cmd == EVTCHNOP_3level ? sub : -1, err, skip);
}

unsigned int m3_kick_seq(unsigned int vcpu)
{
	return mx_kick_seq(vcpu);
}

void m3_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec)
{
	mx_wait_kick(vcpu, seen, usec);
}

void m3_kick(unsigned int vcpu)
{
	mx_kick(vcpu);
}
