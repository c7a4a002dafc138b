#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Many pods at once, as a node under a deployment roll-out sees them.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

@test "50 ADDs in parallel all succeed with distinct addresses; 50 DELs leave nothing" {
	local n=50 i pids=()
	for ((i = 0; i < n; i++)); do pod_netns_add "s$i" >/dev/null; done
	for ((i = 0; i < n; i++)); do
		(
			in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="cid-$WT_ID-s$i" \
				CNI_NETNS="/run/netns/$WT_ID-s$i" CNI_IFNAME=eth0 \
				CNI_PATH="$CNI_PLUGIN_PATH" "$WEFT" <<<"$(net_conf)" \
				>"$WT_DIR/add-$i.json"
		) &
		pids+=($!)
	done
	local failed=0
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$WT_DIR/add-$i.json"; }; done
	[ "$failed" -eq 0 ]
	local ips
	ips=$(cat "$WT_DIR"/add-*.json | jq -r '.ips[0].address')
	[ "$(sort -u <<<"$ips" | wc -l)" -eq "$n" ]
	[ "$(host_veths_count)" -eq "$n" ]
	[ "$(endpoint_map_count)" -eq "$n" ]
	# a few of them actually talk
	in_pod s0 ping -c 1 -W 2 "$(jq -r '.ips[0].address' "$WT_DIR/add-49.json" | cut -d/ -f1)"
	in_pod s25 ping -c 1 -W 2 "$(jq -r '.ips[0].address' "$WT_DIR/add-7.json" | cut -d/ -f1)"

	pids=()
	for ((i = 0; i < n; i++)); do
		in_node env -i CNI_COMMAND=DEL CNI_CONTAINERID="cid-$WT_ID-s$i" \
			CNI_NETNS="/run/netns/$WT_ID-s$i" CNI_IFNAME=eth0 \
			CNI_PATH="$CNI_PLUGIN_PATH" "$WEFT" <<<"$(net_conf)" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]
	assert_nothing_left
}
