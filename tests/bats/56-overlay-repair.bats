#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Another tool removes a piece of the overlay behind weftd's back: the VXLAN
# device deleted (`ip link del`), or the overlay programs' tcx links detached
# (`bpftool link detach`). weftd puts it back within seconds (its 1 s tick),
# says so in its log, counts it in weft_datapath_repairs_total, and
# cross-node traffic resumes. Two nodes of the cluster fixture (cluster.bash).

load helpers
load cluster

setup() {
	CL_WEFTD_ARGS=(--metrics-addr 127.0.0.1:9962)
	cluster_up 2
	cluster_pod_add 1 a1
	cluster_pod_add 2 a2
	in_cl_pod a1 ping -c 1 -W 2 "$(pod_ip a2)"
}

teardown() { wt_teardown; }

# repairs I WHAT: node I's repairs of WHAT (vxlan, programs) in status
repairs() {
	cl_weftctl "$1" -o json status | jq ".overlay.repairs.$2"
}

# prom_repairs I WHAT: node I's weft_datapath_repairs_total{what="WHAT"}
prom_repairs() {
	in_cl_node "$1" curl -s -m 5 http://127.0.0.1:9962/metrics |
		awk -v w="weft_datapath_repairs_total{what=\"$2\"}" '$1 == w { print $2 }'
}

# ping_within SECONDS: a1 reaches a2 within SECONDS, one echo a second
ping_within() {
	local i
	for ((i = 0; i < $1; i++)); do
		in_cl_pod a1 ping -c 1 -W 1 "$(pod_ip a2)" >/dev/null && return 0
	done
	return 1
}

@test "overlay repair: weft_vxlan deleted by someone else is recreated, traffic resumes" {
	local old
	old=$(in_cl_node 1 ip -j link show weft_vxlan | jq '.[0].ifindex')
	[ "$(repairs 1 vxlan)" -eq 0 ]
	in_cl_node 1 ip link del weft_vxlan
	ping_within 5
	grep -q "overlay: vxlan device weft_vxlan (ifindex $old) was deleted by someone else; recreated" \
		"$WT_DIR/n1/weftd.log"
	[ "$(repairs 1 vxlan)" -eq 1 ]
	# the same settings, both programs on the new device, the route back
	in_cl_node 1 ip -d link show weft_vxlan | grep -q "external"
	in_cl_node 1 ip -d link show weft_vxlan | grep -q "dstport 4789"
	local now
	now=$(in_cl_node 1 ip -j link show weft_vxlan | jq '.[0].ifindex')
	[ "$(cl_weftctl 1 -o json status | jq .overlay.ifindex)" -eq "$now" ]
	in_cl_node 1 ip route show 10.244.2.0/24 | grep -q weft_vxlan
	[ "$(in_cl_node 1 bpftool -j net show dev weft_vxlan | jq '[.[0].tc[]?] | length')" -eq 2 ]
	# both ways, and the host to the remote pod (the route)
	in_cl_pod a2 ping -c 1 -W 2 "$(pod_ip a1)"
	in_cl_node 1 ping -c 1 -W 2 "$(pod_ip a2)"
	[ "$(prom_repairs 1 vxlan)" = 1 ]
	[ "$(prom_repairs 1 overlay-programs)" = 0 ]
	[ "$(prom_repairs 2 vxlan)" = 0 ]
}

@test "overlay repair: the overlay programs detached by someone else are re-attached" {
	local id detached=0
	[ "$(repairs 1 programs)" -eq 0 ]
	for id in $(bpftool -j link show | jq --argjson i \
		"$(in_cl_node 1 ip -j link show weft_vxlan | jq '.[0].ifindex')" \
		'.[] | select(.type == "tcx" and .ifindex == $i) | .id'); do
		# the link's pin is in node 1's bpffs; the ifindex alone is not
		# unique across namespaces, so only ids pinned under overlay/
		bpftool -j link show pinned "$(cl_node_dir 1)/bpffs/overlay/from_overlay" |
			jq -e --argjson id "$id" '.id == $id' >/dev/null ||
			bpftool -j link show pinned "$(cl_node_dir 1)/bpffs/overlay/to_overlay" |
			jq -e --argjson id "$id" '.id == $id' >/dev/null || continue
		bpftool link detach id "$id"
		detached=$((detached + 1))
	done
	# Both links gone (the repair may follow within weftd's next tick, so
	# the device is not checked empty here: the log and the count say it
	# was repaired).
	[ "$detached" -eq 2 ]
	ping_within 5
	grep -q "overlay: the programs on weft_vxlan (ifindex [0-9]*) were detached by someone else" \
		"$WT_DIR/n1/weftd.log"
	[ "$(repairs 1 programs)" -eq 1 ]
	[ "$(repairs 1 vxlan)" -eq 0 ]
	[ "$(prom_repairs 1 overlay-programs)" = 1 ]
	[ "$(in_cl_node 1 bpftool -j net show dev weft_vxlan | jq '[.[0].tc[]?] | length')" -eq 2 ]
	in_cl_pod a2 ping -c 1 -W 2 "$(pod_ip a1)"
}
