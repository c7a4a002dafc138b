#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# A pod's programs stay on its veth: when another tool deletes or replaces
# weft's tc filters (or their clsact qdisc), weftd puts them back at once,
# logs it and counts it; the pod is checked again from the next packet on.
# And one copy of the programs serves every pod, each told apart by its
# weft_veths entry, also across a restart of weftd.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

WEFT_HANDLE=0x77656674

# pod_veth POD: the host side of POD's veth
pod_veth() {
	local idx
	idx=$(in_pod "$1" ip -j link show dev eth0 | jq '.[0].link_index')
	in_node ip -j link show | jq -r --argjson i "$idx" '.[] | select(.ifindex == $i) | .ifname'
}

# filter_prog POD DIR: the program id of weft's filter on the pod's host veth ("" when none)
filter_prog() {
	in_node tc -j filter show dev "$(pod_veth "$1")" "$2" 2>/dev/null |
		jq -r --arg h "$WEFT_HANDLE" '.[] | select(.options.handle == $h) | .options.prog.id // empty'
}

# pinned_prog DIR: the id of the program weftd pinned for that direction, for
# the first pod (endpoint 1)
pinned_prog() {
	local pin=from_pod
	[[ $1 == egress ]] && pin=to_pod
	bpftool -j prog show pinned "$(echo "$BPFFS"/endpoints/1/"$pin")" | jq -r .id
}

# wait_repaired N: until weftd has counted N repairs (2 s at most)
wait_repaired() {
	local i
	for ((i = 0; i < 40; i++)); do
		[[ $(grep -c "was removed or replaced by someone else; put back" "$WT_DIR/weftd.log") -ge $1 ]] && return 0
		sleep 0.05
	done
	cat "$WT_DIR/weftd.log" >&2
	return 1
}

repairs_count() { "$WEFTCTL" --socket "$SOCK" -o json status | jq .repairs.podFilters; }

@test "a pod's programs are cls_bpf filters at weft's handle, running the pinned programs" {
	pod_add a
	[ -n "$(filter_prog a ingress)" ]
	[ "$(filter_prog a ingress)" = "$(pinned_prog ingress)" ]
	[ "$(filter_prog a egress)" = "$(pinned_prog egress)" ]
	[ "$(bpftool -j prog show id "$(filter_prog a ingress)" | jq -r .name)" = weft_from_pod ]
	[ "$(bpftool -j prog show id "$(filter_prog a egress)" | jq -r .name)" = weft_to_pod ]
}

@test "a deleted filter is put back within a second, logged and counted; spoofing is dropped again" {
	pod_add a
	pod_add b
	local want
	want=$(filter_prog a ingress)
	[ -n "$want" ]
	in_node tc filter del dev "$(pod_veth a)" ingress pref 1 handle "$WEFT_HANDLE" bpf
	wait_repaired 1
	[ "$(filter_prog a ingress)" = "$want" ]
	[ "$(repairs_count)" -eq 1 ]
	grep -q "its tc ingress filter on wft.* was removed or replaced by someone else; put back" "$WT_DIR/weftd.log"
	# enforcing again: a forged source address is dropped and counted
	in_pod a ip addr add 10.99.0.9/32 dev eth0
	run in_pod a ping -c 1 -W 1 -I 10.99.0.9 "$(pod_ip b)"
	[ "$status" -ne 0 ]
	[ "$(metric from-pod drop-spoofed-ip)" -ge 1 ]
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
}

@test "a deleted clsact qdisc (both filters) is put back; CHECK passes after" {
	pod_add a
	local prev=$output
	in_node tc qdisc del dev "$(host_veth)" clsact
	wait_repaired 2
	[ "$(repairs_count)" -eq 2 ]
	[ "$(filter_prog a ingress)" = "$(pinned_prog ingress)" ]
	[ "$(filter_prog a egress)" = "$(pinned_prog egress)" ]
	CONF=$(jq --argjson p "$prev" '. + {prevResult: $p}' <<<"$(net_conf)") \
		cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -eq 0 ]
}

@test "a filter replaced with another program at weft's handle is put back" {
	pod_add a
	local want
	want=$(filter_prog a egress)
	[ -n "$want" ]
	# another program: weft's own from-pod one, which is wrong on egress
	in_node tc filter replace dev "$(host_veth)" egress pref 1 handle "$WEFT_HANDLE" bpf da \
		pinned "$(echo "$BPFFS"/endpoints/*/from_pod)"
	wait_repaired 1
	[ "$(filter_prog a egress)" = "$want" ]
}

@test "filters removed while weftd was down are put back when it starts" {
	pod_add a
	weftd_stop
	in_node tc qdisc del dev "$(host_veth)" clsact
	[ -z "$(filter_prog a ingress)" ]
	weftd_start
	[ "$(filter_prog a ingress)" = "$(pinned_prog ingress)" ]
	[ "$(filter_prog a egress)" = "$(pinned_prog egress)" ]
}

@test "one copy of the programs per node: every pod's filters run them, each pod told apart by its weft_veths entry" {
	pod_add a
	pod_add b
	[ "$(filter_prog a ingress)" = "$(filter_prog b ingress)" ]
	[ "$(filter_prog a egress)" = "$(filter_prog b egress)" ]
	local p idx id
	for p in a b; do
		idx=$(in_node ip -j link show dev "$(pod_veth "$p")" | jq '.[0].ifindex')
		id=$("$WEFTCTL" --socket "$SOCK" -o json endpoints |
			jq -r --arg c "cid-$WT_ID-$p" '.endpoints[] | select(.containerID == $c) | .id')
		[ "$(bpftool -j map dump pinned "$BPFFS/weft_veths" |
			jq --argjson i "$idx" '.[] | select(.formatted.key == $i) | .formatted.value.endpoint_id')" = "$id" ]
	done
	# and each is held to its own address by them
	run in_pod a ping -c1 -W2 "$(pod_ip b)"
	[ "$status" -eq 0 ]
	# a restart takes the programs the pods run instead of loading a
	# second copy: the next pod gets the same ones
	weftd_stop
	weftd_start
	pod_add c
	[ "$(filter_prog c ingress)" = "$(filter_prog a ingress)" ]
	[ "$(filter_prog c egress)" = "$(filter_prog a egress)" ]
	pod_del c
	pod_del a
	[ "$(bpftool -j map dump pinned "$BPFFS/weft_veths" | jq length)" -eq 1 ]
}
