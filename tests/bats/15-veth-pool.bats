#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The veth pool: pre-attached wfp<k>/wfq<k> pairs that ADDs claim (docs/architecture.md,
# "Pod ADD fast path").

load helpers

# Each test starts weftd itself, with the pool flags it is about.
setup() { node_setup; }
teardown() { wt_teardown; }

# pool_ifindexes: ifindex of every host-side pool veth (wfp<k>) in the node
pool_ifindexes() {
	in_node ip -j link show | jq -r '.[] | select(.ifname | test("^wfp[0-9]+$")) | .ifindex'
}
pool_count() { pool_ifindexes | grep -c . || true; }
peer_count() {
	in_node ip -j link show | jq '[.[] | select(.ifname | test("^wfq[0-9]+$"))] | length'
}

# wait_pool N: until N host-side pool veths exist (the refill is in the background)
wait_pool() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(pool_count) -eq $1 && $(peer_count) -eq $1 ]] && return 0
		sleep 0.05
	done
	echo "pool: $(pool_count) wfp, $(peer_count) wfq, wanted $1" >&2
	in_node ip -br link >&2
	return 1
}

# pool_ready N: weftd also reports N ready
pool_ready() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $("$WEFTCTL" --socket "$SOCK" -o json status | jq .vethPool.ready) -eq $1 ]] &&
			return 0
		sleep 0.05
	done
	"$WEFTCTL" --socket "$SOCK" -o json status >&2
	return 1
}

@test "the pool is filled at start: N down wfp/wfq pairs, each with both tcx links" {
	weftd_start --veth-pool 4
	wait_pool 4
	pool_ready 4
	local idx
	for idx in $(pool_ifindexes); do
		# down, and both directions carry a program (the placeholder)
		in_node ip -j link show | jq -e --argjson i "$idx" \
			'.[] | select(.ifindex == $i) | .operstate == "DOWN"'
		in_node bpftool -j net show | jq -e --argjson i "$idx" \
			'[.[0].tc[] | select(.ifindex == $i)] | length == 2'
	done
	# the pool's links are held by weftd, never pinned
	[ "$(pins_count)" -eq 0 ]
}

@test "an ADD takes a pool veth and the pool is refilled back to N" {
	weftd_start --veth-pool 4
	wait_pool 4
	local before
	before=$(pool_ifindexes | sort -n)
	pod_add a
	local idx
	idx=$(in_node ip -j link show dev "$(host_veth)" | jq '.[0].ifindex')
	grep -qx "$idx" <<<"$before"
	grep -q "veth pool: wfp[0-9]* (ifindex $idx) is now" "$WT_DIR/weftd.log"
	# the pod's own programs replaced the placeholder on the same links
	"$WEFTCTL" --socket "$SOCK" -o json endpoints | jq -e '.endpoints[0].attached'
	wait_pool 4
	pool_ready 4
	! pool_ifindexes | grep -qx "$idx"
	# and the datapath works through the swapped programs
	pod_add b
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	pod_del a
	pod_del b
	assert_nothing_left
}

@test "--veth-pool 0: no pool, ADD attaches as before" {
	weftd_start --veth-pool 0
	sleep 0.3
	[ "$(pool_count)" -eq 0 ]
	pod_add a
	pod_add b
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	"$WEFTCTL" --socket "$SOCK" -o json status | jq -e '.vethPool.size == 0'
	pod_del a
	pod_del b
	assert_nothing_left
}

@test "ADD with a taken CNI_IFNAME leaves nothing, and the pool keeps its veths" {
	weftd_start --veth-pool 4
	wait_pool 4
	local ns
	ns=$(pod_netns_add a)
	ip -n "$ns" link add eth0 type dummy 2>/dev/null ||
		ip -n "$ns" link add eth0 type veth peer name other0
	cni ADD "cid-$WT_ID-a" "/run/netns/$ns" eth0
	[ "$status" -ne 0 ]
	[[ $output == *eth0* ]]
	assert_nothing_left
	wait_pool 4
}

@test "a claimed veth whose move into the pod fails is rolled back" {
	weftd_start --veth-pool 4
	wait_pool 4
	local ns
	ns=$(pod_netns_add a)
	# delegated IPAM: veth.claim, then the IPAM plugin fails (no such subnet
	# file); the claimed veth must go with the rollback
	CONF='{"cniVersion": "1.0.0", "name": "weftnet", "type": "weft", "socket": "'$SOCK'",
	       "logFile": "'$WT_DIR'/plugin.log", "logLevel": "debug",
	       "ipam": {"type": "host-local", "ranges": [[{"subnet": "not-a-subnet"}]]}}' \
		cni ADD "cid-$WT_ID-a" "/run/netns/$ns" eth0
	[ "$status" -ne 0 ]
	grep -q "veth pool: .* is now" "$WT_DIR/weftd.log"
	assert_nothing_left
	wait_pool 4
}

@test "a burst of 20 parallel ADDs with a pool of 4 all succeed" {
	weftd_start --veth-pool 4
	wait_pool 4
	local i pids=()
	for ((i = 0; i < 20; i++)); do pod_netns_add "p$i" >/dev/null; done
	for ((i = 0; i < 20; i++)); do
		in_node env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="cid-$WT_ID-p$i" \
			CNI_NETNS="/run/netns/$WT_ID-p$i" CNI_IFNAME=eth0 CNI_PATH="$CNI_PLUGIN_PATH" \
			"$WEFT" <<<"$(net_conf)" >"$WT_DIR/add-$i.out" 2>/dev/null &
		pids+=($!)
	done
	local failed=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$WT_DIR/add-$i.out" >&2; }
	done
	[ "$failed" -eq 0 ]
	[ "$(host_veths_count)" -eq 20 ]
	"$WEFTCTL" --socket "$SOCK" -o json endpoints | jq -e '[.endpoints[] | select(.attached)] | length == 20'
	in_pod p0 ping -c 1 -W 2 "$(jq -r '.ips[0].address' "$WT_DIR/add-19.out" | cut -d/ -f1)"
	wait_pool 4
	# not $i: bats' run (inside cni) uses a global i of its own
	local n
	for ((n = 0; n < 20; n++)); do
		cni DEL "cid-$WT_ID-p$n" "/run/netns/$WT_ID-p$n" eth0
		[ "$status" -eq 0 ]
	done
	assert_nothing_left
}

@test "weftd restart deletes leftover pool veths and refills" {
	weftd_start --veth-pool 4
	wait_pool 4
	pod_add a
	wait_pool 4
	# kill -9: no clean shutdown, the pool veths stay behind (their links die with weftd)
	weftd_kill9
	local old
	old=$(pool_ifindexes | sort -n)
	[ "$(grep -c . <<<"$old")" -eq 4 ]
	weftd_start --veth-pool 3
	wait_pool 3
	local idx
	for idx in $(pool_ifindexes); do
		! grep -qx "$idx" <<<"$old"
	done
	grep -q "veth pool: deleted .* leftover links" "$WT_DIR/weftd.log"
	# the pod made before the restart still works and deletes cleanly
	"$WEFTCTL" --socket "$SOCK" -o json endpoints | jq -e '.endpoints[0].attached'
	pod_del a
	[ "$status" -eq 0 ]
	assert_nothing_left
}
