#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's least privilege: it keeps NET_ADMIN, BPF, PERFMON and SYS_ADMIN
# (daemon/host/privileges.c says why each), nothing inheritable or ambient,
# a bounding set of the same four (so the nft it spawns gets no more),
# no-new-privs; and it refuses to start, naming it, without one it needs.

load helpers

# CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_PERFMON 38, CAP_BPF 39.
KEPT=$(printf '%016x' $(((1 << 12) | (1 << 21) | (1 << 38) | (1 << 39))))

setup() { node_up; }
teardown() { wt_teardown; }

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

@test "privileges: weftd keeps exactly NET_ADMIN, BPF, PERFMON, SYS_ADMIN; bounding the same; no inheritable, ambient; no-new-privs" {
	local pid
	pid=$(cat "$WT_DIR/weftd.pid")
	[ "$(status_field "$pid" CapEff)" = "$KEPT" ]
	[ "$(status_field "$pid" CapPrm)" = "$KEPT" ]
	[ "$(status_field "$pid" CapBnd)" = "$KEPT" ]
	[ "$(status_field "$pid" CapInh)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapAmb)" = 0000000000000000 ]
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ]
	# Every thread, the ones started later (the Kubernetes watcher, an upgrade's loaders) too.
	local t
	for t in /proc/"$pid"/task/*; do
		[ "$(awk '$1 == "CapEff:" { print $2 }' "$t/status")" = "$KEPT" ]
	done
	# And it works so confined: two pods, wired, reaching each other.
	pod_add a
	pod_add b
	in_pod a ping -c 1 -W 2 "$(pod_ip b)" >/dev/null
}

@test "privileges: weftd without a capability it needs refuses to start, naming it, and leaves nothing" {
	weftd_stop
	run capsh --drop=cap_perfmon -- -c "exec nsenter --net=$NODE_NS $WEFTD --node-name $NODE \
		--pod-cidr $POD_CIDR --state-dir $STATE --bpffs $BPFFS --socket $SOCK.2 --bpf-dir $OUTPUT/bpf"
	[ "$status" -ne 0 ]
	[[ $output == *"weftd needs CAP_PERFMON, which it was not given"* ]]
	[ ! -e "$SOCK.2" ]
}
