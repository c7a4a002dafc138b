#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Two nodes of the cluster fixture (tests/bats/cluster.bash), each with its
# own weftd, bpffs and state, one cluster file: pods on different nodes reach
# each other through the VXLAN overlay (ping, TCP, full-size packets with
# DF), the host reaches the remote pod, pods reach an external host through
# SNAT. Smoke test of the overlay datapath; 70-multinode.bats goes further.
#
#   underlay ns ($WT_ID-ul): bridge br0
#     n1 ($WT_ID-n1): eth0 198.51.100.1/24, pods 10.244.1.0/24, pod a1
#     n2 ($WT_ID-n2): eth0 198.51.100.2/24, pods 10.244.2.0/24, pod a2
#     ext ($WT_ID-ext): 198.51.100.254/24, not a node

load helpers
load cluster

setup() {
	cluster_up 2
}

teardown() { wt_teardown; }

# node_metric I DIRECTION REASON: metric (helpers.bash) of node I's weftd.
node_metric() { SOCK=$(cl_sock "$1") metric "$2" "$3"; }

@test "overlay: pods on two nodes talk through VXLAN; host->remote pod; SNAT out" {
	cluster_pod_add 1 a1
	cluster_pod_add 2 a2
	local ip1 ip2
	ip1=$(pod_ip a1) ip2=$(pod_ip a2)
	[[ $ip1 == 10.244.1.* && $ip2 == 10.244.2.* ]]

	# The device weftd made, with the pod MTU (1500 - 50) on both ends.
	in_cl_node 1 ip -d link show weft_vxlan | grep -q "external"
	in_cl_node 1 ip -d link show weft_vxlan | grep -q "dstport 4789"
	[ "$(cl_weftctl 1 -o json status | jq .mtu)" = 1450 ]
	[ "$(cl_pod_mtu a1)" = 1450 ]

	in_cl_pod a1 ping -c 3 -i 0.2 -W 2 "$ip2"
	in_cl_pod a2 ping -c 3 -i 0.2 -W 2 "$ip1"
	# Full-size packets with DF: 1450 - 28 bytes of IP and ICMP header.
	in_cl_pod a1 ping -c 2 -i 0.2 -W 2 -M do -s 1422 "$ip2"
	run in_cl_pod a1 ping -c 1 -W 1 -M do -s 1423 "$ip2"
	[ "$status" -ne 0 ]

	# TCP across nodes, both ways.
	in_cl_pod a2 timeout 5 nc -l -N "$ip2" 8080 >"$WT_DIR/tcp.out" &
	local lpid=$! i
	for ((i = 0; i < 50; i++)); do
		in_cl_pod a2 ss -ltn | grep -q ":8080" && break
		sleep 0.05
	done
	head -c 200000 /dev/zero | tr '\0' x | in_cl_pod a1 timeout 5 nc -N "$ip2" 8080
	wait "$lpid"
	[ "$(wc -c <"$WT_DIR/tcp.out")" -eq 200000 ]

	# Straight from from-pod into the tunnel, and out of it into the pod.
	[ "$(node_metric 1 from-pod forward-tunnel)" -ge 5 ]
	[ "$(node_metric 2 from-overlay forward-local)" -ge 5 ]

	# Node -> remote pod, and remote node -> local pod (probes).
	in_cl_node 1 ping -c 2 -i 0.2 -W 2 "$ip2"
	in_cl_node 2 ping -c 2 -i 0.2 -W 2 "$ip1"
	# And the pod reaching the other node's own address (tunnelled too).
	in_cl_pod a1 ping -c 2 -i 0.2 -W 2 "$(cl_node_ip 2)"

	# Out of the cluster: the external host has no route to pod ranges, so
	# its replies only come back because they went to the node (SNAT).
	in_cl_pod a1 ping -c 2 -i 0.2 -W 2 "$CL_EXT_IP"
	in_cl_node 1 nft list table ip weft | grep -q masquerade

	# A host on the underlay that is no node cannot inject into a pod: the
	# external host sends VXLAN (VNI 1, port 4789) to node 1 for pod a1.
	local before
	before=$(node_metric 1 from-overlay drop-tunnel-source)
	in_ext ip link add vx0 type vxlan id 1 remote "$(cl_node_ip 1)" \
		local "$CL_EXT_IP" dstport 4789 dev eth0
	in_ext ip link set vx0 arp off up
	in_ext ip addr add 10.99.0.1/32 dev vx0
	in_ext ip route add "$ip1/32" dev vx0
	run in_ext ping -c 2 -i 0.2 -W 1 "$ip1"
	[ "$status" -ne 0 ]
	[ "$(node_metric 1 from-overlay drop-tunnel-source)" -ge $((before + 2)) ]

	run cl_weftctl 1 status
	[[ $output == *"weft_vxlan"* && $output == *"nodes"*2* ]]
	# The device sends nothing of its own into the tunnel (no IPv6 link-local).
	[ -z "$(in_cl_node 1 ip -6 addr show dev weft_vxlan)" ]
	[ "$(node_metric 1 to-overlay drop-unsupported-l3)" = 0 ]
	[ "$(node_metric 1 to-overlay forward-tunnel)" -ge 2 ]
}

@test "overlay: a node removed from the cluster file is unreachable within a second, and back" {
	# The pods listed too (cluster_pod_add): their /32 entries must follow
	# their node.
	cluster_pod_add 1 a1
	cluster_pod_add 2 a2
	local ip2 n2
	ip2=$(pod_ip a2)
	n2=$WT_DIR/objects/10-node-$(cl_node_name 2).json
	sleep 0.5
	[ "$(cl_weftctl 1 -o json status | jq .overlay.identities)" = 2 ]
	in_cl_pod a1 ping -c 1 -W 2 "$ip2"

	# weftd stopped: the overlay keeps working; restarted: it keeps the
	# device and swaps its programs into the pinned links.
	cluster_weftd_stop 1
	in_cl_pod a1 ping -c 1 -W 2 "$ip2"
	cluster_weftd_start 1
	grep -q "weft_vxlan (ifindex [0-9]*, kept)" "$WT_DIR/n1/weftd.log"
	in_cl_pod a1 ping -c 1 -W 2 "$ip2"

	# Only node 1 left (pod a2 still listed): its tunnel entries and route
	# go, and a2's /32 loses its tunnel.
	mv "$n2" "$WT_DIR/node2.json"
	cluster_file_write
	sleep 1
	run in_cl_pod a1 ping -c 1 -W 1 "$ip2"
	[ "$status" -ne 0 ]
	! in_cl_node 1 ip route show 10.244.2.0/24 | grep -q weft_vxlan

	# A broken file changes nothing (node 2 stays gone) and says where.
	printf '{"apiVersion": "v1", "kind": "List", "items": [\n{"kind": ' | cluster_file_write_raw
	sleep 1
	grep -q "line 2" "$WT_DIR/n1/weftd.log"
	run in_cl_pod a1 ping -c 1 -W 1 "$ip2"
	[ "$status" -ne 0 ]

	# Node 2 back: reachable again.
	mv "$WT_DIR/node2.json" "$n2"
	cluster_file_write
	sleep 1
	in_cl_pod a1 ping -c 1 -W 2 "$ip2"
}

@test "overlay: weftd waits for its Node, takes its podCIDR, and other nodes add it live" {
	# Node 3's namespace and weftd, its Node object not in the file yet.
	cluster_node_create 3
	cluster_weftd_spawn 3
	sleep 0.5
	run cl_weftctl 3 status
	[ "$status" -ne 0 ]
	grep -q "waiting for Node $WT_ID-n3 with an IPv4 InternalIP and spec.podCIDR" \
		"$WT_DIR/n3/weftd.log"

	cluster_file_write
	cluster_weftd_wait 3
	[ "$(cl_weftctl 3 -o json status | jq -r .podCIDR)" = 10.244.3.0/24 ]
	[ "$(cl_weftctl 3 -o json status | jq -r .overlay.nodes)" = 3 ]
	# Node 1 has a route to the new node's pods (and the host reaches it).
	in_cl_node 1 ip route show 10.244.3.0/24 | grep -q weft_vxlan
	cluster_pod_add 3 a3
	in_cl_node 1 ping -c 1 -W 2 "$(pod_ip a3)"
}

@test "overlay: bad overlay flags are refused, naming the flag" {
	run "$WEFTD" --vxlan-port 0 --cluster-file "$CL_FILE"
	[ "$status" -ne 0 ]
	[[ $output == *--vxlan-port* ]]
	run "$WEFTD" --mtu 100 --cluster-file "$CL_FILE"
	[ "$status" -ne 0 ]
	[[ $output == *--mtu*118* ]]
	run "$WEFTD" --state-dir "$WT_DIR/x"
	[ "$status" -ne 0 ]
	[[ $output == *"--pod-cidr is required without a cluster source (--cluster-file, --kubeconfig"* ]]
	run "$WEFTD" --help
	[[ $output == *--cluster-file* && $output == *--vxlan-port* ]]
}
