#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bad input gets the right CNI code, names the field, and leaves nothing behind.

load helpers

setup() {
	node_up
	POD_NS=$(pod_netns_add p)
}

teardown() { wt_teardown; }

# add_expect CODE FIELD: ADD with $CONF failed with CODE, named FIELD, left nothing.
add_expect() {
	local code=$1 field=$2
	cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	echo "output: $output"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq "$code" ]
	[[ "$(jq -r '.msg + " " + .details' <<<"$output")" == *"$field"* ]]
	# The result stream is one JSON object: nothing else on stdout.
	jq -e . <<<"$output" >/dev/null
	assert_nothing_left
	run in_pod p ip -o link show
	[[ $output != *eth0* ]]
}

conf_with() {
	jq -c "$1" <<<"$(net_conf)"
}

@test "bad configs: code 7 naming the field, nothing left" {
	CONF=$(conf_with '.mtu = "1500"') add_expect 7 mtu
	CONF=$(conf_with '.mtu = 20') add_expect 7 mtu
	CONF=$(conf_with '.mtu = 70000') add_expect 7 mtu
	CONF=$(conf_with '.socket = 5') add_expect 7 socket
	CONF=$(conf_with 'del(.name)') add_expect 7 name
	CONF=$(conf_with '.name = ["x"]') add_expect 7 name
	CONF=$(conf_with '.ipam = "host-local"') add_expect 7 ipam
	CONF=$(conf_with '.ipam = {"type": "../../bin/sh"}') add_expect 7 ipam.type
	CONF=$(conf_with '.ipam = {}') add_expect 7 ipam.type
	CONF=$(conf_with '.logLevel = "chatty"') add_expect 7 logLevel
	CONF='{"cniVersion": "1.0.0", "name": ' add_expect 7 ""
	CONF='[1, 2]' add_expect 7 ""
}

@test "unknown config keys are ignored" {
	CONF=$(conf_with '.someFutureKey = {"a": 1}') cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -eq 0 ]
}

@test "bad cniVersion: code 1 for unsupported, 7 for missing" {
	CONF=$(conf_with '.cniVersion = "0.2.0"') add_expect 1 0.2.0
	CONF=$(conf_with '.cniVersion = "9.9.9"') add_expect 1 9.9.9
	CONF=$(conf_with 'del(.cniVersion)') add_expect 7 cniVersion
}

@test "bad environment: code 4 naming the variable, nothing left" {
	local ns=/run/netns/$POD_NS
	run --separate-stderr in_node env -i CNI_COMMAND=ADD CNI_NETNS="$ns" CNI_IFNAME=eth0 \
		CNI_PATH="$CNI_PLUGIN_PATH" "$WEFT" <<<"$(net_conf)"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_CONTAINERID* ]]

	cni ADD 'bad id!' "$ns" eth0
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_CONTAINERID* ]]
	cni ADD "cid-$WT_ID" "$ns" "eth/0"
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_IFNAME* ]]
	cni ADD "cid-$WT_ID" "$ns" "a-very-long-ifname"
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_IFNAME* ]]
	cni ADD "cid-$WT_ID" "/run/netns/does-not-exist-$WT_ID" eth0
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_NETNS* ]]
	cni ADD "cid-$WT_ID" "$ns" eth0 "K8S_POD_NAME=x;garbage"
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_ARGS* ]]
	run --separate-stderr in_node env -i CNI_COMMAND=EXPLODE "$WEFT" <<<"$(net_conf)"
	[ "$(cni_code)" -eq 4 ]
	[[ $output == *CNI_COMMAND* ]]
	assert_nothing_left
}

@test "the pod's interface name already taken: error, nothing left" {
	in_pod p ip link add eth0 type veth peer name eth0-peer
	cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -ne 0 ]
	[[ $output == *eth0* ]]
	assert_nothing_left
	# the pod's own eth0 is untouched
	in_pod p ip link show eth0 type veth
}

@test "weftd down: ADD gives code 11 and leaves nothing" {
	weftd_stop
	cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 11 ]
	[[ $output == *"$SOCK"* ]]
	assert_nothing_left
	run in_pod p ip -o link show
	[[ $output != *eth0* ]]
}

@test "weftd down with delegated IPAM: code 11, the IPAM plugin is never called" {
	weftd_stop
	CONF=$(jq -c --arg d "$WT_DIR/hl" '.ipam = {"type": "host-local", "subnet": "10.99.0.0/24", "dataDir": $d}' <<<"$(net_conf)") \
		cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$(cni_code)" -eq 11 ]
	[ ! -e "$WT_DIR/hl/weftnet/10.99.0.2" ]
	assert_nothing_left
}

@test "delegated IPAM (host-local): ADD uses its address, DEL releases it" {
	local d=$WT_DIR/hl
	CONF=$(jq -c --arg d "$d" '.ipam = {"type": "host-local", "subnet": "10.99.0.0/24", "dataDir": $d}' <<<"$(net_conf)")
	CONF=$CONF cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -eq 0 ]
	local ip
	ip=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
	[[ $ip == 10.99.0.* ]]
	[ -e "$d/weftnet/$ip" ]
	in_node ping -c 1 -W 2 "$ip"
	CONF=$CONF cni DEL "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -eq 0 ]
	[ ! -e "$d/weftnet/$ip" ]
	assert_nothing_left
}

@test "a failure half-way through ADD (verifier refuses the programs) rolls everything back" {
	# A weftd whose BPF object the verifier refuses: ADD gets past IPAM and
	# the veth, then fails at the kernel's load.
	weftd_stop
	weftd_start --bpf-dir "$OUTPUT/tests/bpf/reject"
	cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 100 ]
	# the error names the step and carries the verifier's reason
	[[ $(jq -r '.msg + " " + .details' <<<"$output") == *weft_pod.bpf.o* ]]
	assert_nothing_left
	run in_pod p ip -o link show
	[[ $output != *eth0* ]]
}
