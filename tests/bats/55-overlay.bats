#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Two nodes joined by an underlay bridge, each with its own weftd, bpffs and
# state, one cluster file: pods on different nodes reach each other through
# the VXLAN overlay (ping, TCP, full-size packets with DF), the host reaches
# the remote pod, pods reach an external host through SNAT. Smoke test of the
# overlay datapath; the 3-node suite lives elsewhere.
#
#   underlay ns ($WT_ID-ul): bridge br0
#     n1 ($WT_ID-n1): eth0 192.0.2.11/24, pods 10.244.1.0/24, pod a1
#     n2 ($WT_ID-n2): eth0 192.0.2.12/24, pods 10.244.2.0/24, pod a2
#     ext ($WT_ID-x): 192.0.2.100/24, not a node

load helpers

UL_CIDR=192.0.2
N1_CIDR=10.244.1.0/24
N2_CIDR=10.244.2.0/24

# use_node N: point the helpers (cni, pod_add) at node N's weftd.
use_node() {
	NODE=$WT_ID-n$1
	NODE_NS=/run/netns/$NODE
	SOCK=$WT_DIR/n$1/weftd.sock
}

# The cluster file as kubectl would print it, written atomically (rename).
# Nodes always; pods listed as "name node ip" arguments.
write_cluster() {
	local items=() p name node ip n
	for n in ${NODES:-1 2}; do
		items+=("$(jq -nc --arg n "$WT_ID-n$n" --arg ip "$UL_CIDR.1$n" \
			--arg c "10.244.$n.0/24" \
			'{apiVersion: "v1", kind: "Node", metadata: {name: $n},
			  spec: {podCIDR: $c, podCIDRs: [$c]},
			  status: {addresses: [{type: "InternalIP", address: $ip}]}}')")
	done
	for p in "$@"; do
		read -r name node ip <<<"$p"
		items+=("$(jq -nc --arg name "$name" --arg node "$node" --arg ip "$ip" \
			'{apiVersion: "v1", kind: "Pod",
			  metadata: {namespace: "default", name: $name, labels: {app: $name}},
			  spec: {nodeName: $node, containers: [{name: "c"}]},
			  status: {phase: "Running", podIP: $ip, podIPs: [{ip: $ip}]}}')")
	done
	printf '%s\n' "${items[@]}" | jq -s '{apiVersion: "v1", kind: "List", items: .}' \
		>"$WT_DIR/cluster.json.tmp"
	mv "$WT_DIR/cluster.json.tmp" "$WT_DIR/cluster.json"
}

# node_ns N: node N's namespace on the underlay, and its bpffs and state dir.
node_ns() {
	local n=$1 ns=$WT_ID-n$1 dir=$WT_DIR/n$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$WT_ID-v$n" netns "$WT_ID-ul" type veth peer name eth0 netns "$ns"
	ip -n "$WT_ID-ul" link set "$WT_ID-v$n" master br0 up
	ip -n "$ns" addr add "$UL_CIDR.1$n/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$dir/bpffs" "$dir/state"
	mount -t bpf bpf "$dir/bpffs"
}

# weftd_up N [wait]: node N's weftd, started with nsenter --net (so $! is
# weftd); waits for its socket unless told "nowait".
weftd_up() {
	local n=$1 dir=$WT_DIR/n$1
	nsenter --net="/run/netns/$WT_ID-n$n" "$WEFTD" --node-name "$WT_ID-n$n" \
		--cluster-file "$WT_DIR/cluster.json" --veth-pool 0 \
		--state-dir "$dir/state" --bpffs "$dir/bpffs" --socket "$dir/weftd.sock" \
		--bpf-dir "$OUTPUT/bpf" --log-level debug >>"$dir/weftd.log" 2>&1 &
	echo $! >"$dir/weftd.pid"
	[[ ${2:-} == nowait ]] && return 0
	local i
	for ((i = 0; i < 100; i++)); do
		"$WEFTCTL" --socket "$dir/weftd.sock" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "weftd on n$n did not come up:" >&2
	cat "$dir/weftd.log" >&2
	return 1
}

weftd_down() {
	local pid
	pid=$(cat "$WT_DIR/n$1/weftd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$WT_DIR/n$1/weftd.pid"
}

node_up() {
	node_ns "$1"
	weftd_up "$1"
}

setup() {
	wt_init
	ip netns add "$WT_ID-ul"
	ip -n "$WT_ID-ul" link add br0 type bridge
	ip -n "$WT_ID-ul" link set br0 up
	ip netns add "$WT_ID-x"
	ip link add "$WT_ID-vx" netns "$WT_ID-ul" type veth peer name eth0 netns "$WT_ID-x"
	ip -n "$WT_ID-ul" link set "$WT_ID-vx" master br0 up
	ip -n "$WT_ID-x" addr add "$UL_CIDR.100/24" dev eth0
	ip -n "$WT_ID-x" link set eth0 up
	write_cluster
	mkdir -p "$WT_DIR/net.d"
	node_up 1
	node_up 2
}

teardown() {
	local n p
	for n in 1 2 3; do weftd_down "$n"; done
	for p in $(ip netns list | awk -v id="$WT_ID-" 'index($1, id) == 1 { print $1 }'); do
		ip netns del "$p" 2>/dev/null || true
	done
	for n in 1 2 3; do
		umount "$WT_DIR/n$n/bpffs" 2>/dev/null || umount -l "$WT_DIR/n$n/bpffs" 2>/dev/null || true
	done
	rm -rf "$WT_DIR"
}

ctl() {
	local n=$1
	shift
	"$WEFTCTL" --socket "$WT_DIR/n$n/weftd.sock" "$@"
}

@test "overlay: pods on two nodes talk through VXLAN; host->remote pod; SNAT out" {
	use_node 1
	pod_add a1
	use_node 2
	pod_add a2
	local ip1 ip2
	ip1=$(pod_ip a1) ip2=$(pod_ip a2)
	[[ $ip1 == 10.244.1.* && $ip2 == 10.244.2.* ]]
	write_cluster "a1 $WT_ID-n1 $ip1" "a2 $WT_ID-n2 $ip2"

	# The device weftd made, with the pod MTU (1500 - 50) on both ends.
	nsenter --net="/run/netns/$WT_ID-n1" ip -d link show weft_vxlan | grep -q "external"
	nsenter --net="/run/netns/$WT_ID-n1" ip -d link show weft_vxlan | grep -q "dstport 4789"
	[ "$(ctl 1 -o json status | jq .mtu)" = 1450 ]
	[ "$(in_pod a1 ip -j link show eth0 | jq '.[0].mtu')" = 1450 ]

	in_pod a1 ping -c 3 -i 0.2 -W 2 "$ip2"
	in_pod a2 ping -c 3 -i 0.2 -W 2 "$ip1"
	# Full-size packets with DF: 1450 - 28 bytes of IP and ICMP header.
	in_pod a1 ping -c 2 -i 0.2 -W 2 -M do -s 1422 "$ip2"
	run in_pod a1 ping -c 1 -W 1 -M do -s 1423 "$ip2"
	[ "$status" -ne 0 ]

	# TCP across nodes, both ways.
	in_pod a2 timeout 5 nc -l -N "$ip2" 8080 >"$WT_DIR/tcp.out" &
	local lpid=$! i
	for ((i = 0; i < 50; i++)); do
		in_pod a2 ss -ltn | grep -q ":8080" && break
		sleep 0.05
	done
	head -c 200000 /dev/zero | tr '\0' x | in_pod a1 timeout 5 nc -N "$ip2" 8080
	wait "$lpid"
	[ "$(wc -c <"$WT_DIR/tcp.out")" -eq 200000 ]

	# Straight from from-pod into the tunnel, and out of it into the pod.
	[ "$(SOCK=$WT_DIR/n1/weftd.sock metric from-pod forward-tunnel)" -ge 5 ]
	[ "$(SOCK=$WT_DIR/n2/weftd.sock metric from-overlay forward-local)" -ge 5 ]

	# Node -> remote pod, and remote node -> local pod (probes).
	nsenter --net="/run/netns/$WT_ID-n1" ping -c 2 -i 0.2 -W 2 "$ip2"
	nsenter --net="/run/netns/$WT_ID-n2" ping -c 2 -i 0.2 -W 2 "$ip1"
	# And the pod reaching the other node's own address (tunnelled too).
	in_pod a1 ping -c 2 -i 0.2 -W 2 "$UL_CIDR.12"

	# Out of the cluster: the external host has no route to pod ranges, so
	# its replies only come back because they went to the node (SNAT).
	in_pod a1 ping -c 2 -i 0.2 -W 2 "$UL_CIDR.100"
	nsenter --net="/run/netns/$WT_ID-n1" nft list table ip weft | grep -q masquerade

	# A host on the underlay that is no node cannot inject into a pod: the
	# external host sends VXLAN (VNI 1, port 4789) to node 1 for pod a1.
	local x=/run/netns/$WT_ID-x before
	before=$(SOCK=$WT_DIR/n1/weftd.sock metric from-overlay drop-tunnel-source)
	nsenter --net="$x" ip link add vx0 type vxlan id 1 remote "$UL_CIDR.11" \
		local "$UL_CIDR.100" dstport 4789 dev eth0
	nsenter --net="$x" ip link set vx0 arp off up
	nsenter --net="$x" ip addr add 10.99.0.1/32 dev vx0
	nsenter --net="$x" ip route add "$ip1/32" dev vx0
	run nsenter --net="$x" ping -c 2 -i 0.2 -W 1 "$ip1"
	[ "$status" -ne 0 ]
	[ "$(SOCK=$WT_DIR/n1/weftd.sock metric from-overlay drop-tunnel-source)" -ge $((before + 2)) ]

	run ctl 1 status
	[[ $output == *"weft_vxlan"* && $output == *"nodes"*2* ]]
	# The device sends nothing of its own into the tunnel (no IPv6 link-local).
	[ -z "$(nsenter --net="/run/netns/$WT_ID-n1" ip -6 addr show dev weft_vxlan)" ]
	[ "$(SOCK=$WT_DIR/n1/weftd.sock metric to-overlay drop-unsupported-l3)" = 0 ]
	[ "$(SOCK=$WT_DIR/n1/weftd.sock metric to-overlay forward-tunnel)" -ge 2 ]
}

@test "overlay: a node removed from the cluster file is unreachable within a second, and back" {
	use_node 1
	pod_add a1
	use_node 2
	pod_add a2
	local ip2
	ip2=$(pod_ip a2)
	# The pods listed too: their /32 entries must follow their node.
	write_cluster "a1 $WT_ID-n1 $(pod_ip a1)" "a2 $WT_ID-n2 $ip2"
	sleep 0.5
	[ "$(ctl 1 -o json status | jq .overlay.identities)" = 2 ]
	in_pod a1 ping -c 1 -W 2 "$ip2"

	# weftd stopped: the overlay keeps working; restarted: it keeps the
	# device and swaps its programs into the pinned links.
	weftd_down 1
	in_pod a1 ping -c 1 -W 2 "$ip2"
	weftd_up 1
	grep -q "weft_vxlan (ifindex [0-9]*, kept)" "$WT_DIR/n1/weftd.log"
	in_pod a1 ping -c 1 -W 2 "$ip2"

	# Only node 1 left (pod a2 still listed): its tunnel entries and route
	# go, and a2's /32 loses its tunnel.
	jq --arg n "$WT_ID-n2" '.items |= map(select(.metadata.name != $n))' \
		"$WT_DIR/cluster.json" >"$WT_DIR/c.tmp"
	mv "$WT_DIR/c.tmp" "$WT_DIR/cluster.json"
	sleep 1
	run in_pod a1 ping -c 1 -W 1 "$ip2"
	[ "$status" -ne 0 ]
	! nsenter --net="/run/netns/$WT_ID-n1" ip route show 10.244.2.0/24 | grep -q weft_vxlan

	# A broken file changes nothing (node 2 stays gone) and says where.
	printf '{"apiVersion": "v1", "kind": "List", "items": [\n{"kind": ' >"$WT_DIR/c.tmp"
	mv "$WT_DIR/c.tmp" "$WT_DIR/cluster.json"
	sleep 1
	grep -q "line 2" "$WT_DIR/n1/weftd.log"
	run in_pod a1 ping -c 1 -W 1 "$ip2"
	[ "$status" -ne 0 ]

	# Node 2 back: reachable again.
	write_cluster
	sleep 1
	in_pod a1 ping -c 1 -W 2 "$ip2"
}

@test "overlay: weftd waits for its Node, takes its podCIDR, and other nodes add it live" {
	node_ns 3
	weftd_up 3 nowait
	sleep 0.5
	run "$WEFTCTL" --socket "$WT_DIR/n3/weftd.sock" status
	[ "$status" -ne 0 ]
	grep -q "waiting for Node $WT_ID-n3 with an IPv4 InternalIP and spec.podCIDR" \
		"$WT_DIR/n3/weftd.log"

	NODES="1 2 3" write_cluster
	local i
	for ((i = 0; i < 40; i++)); do
		ctl 3 status >/dev/null 2>&1 && break
		sleep 0.05
	done
	[ "$(ctl 3 -o json status | jq -r .podCIDR)" = 10.244.3.0/24 ]
	[ "$(ctl 3 -o json status | jq -r .overlay.nodes)" = 3 ]
	# Node 1 has a route to the new node's pods (and the host reaches it).
	nsenter --net="/run/netns/$WT_ID-n1" ip route show 10.244.3.0/24 | grep -q weft_vxlan
	use_node 3
	pod_add a3
	nsenter --net="/run/netns/$WT_ID-n1" ping -c 1 -W 2 "$(pod_ip a3)"
}

@test "overlay: bad overlay flags are refused, naming the flag" {
	run "$WEFTD" --vxlan-port 0 --cluster-file "$WT_DIR/cluster.json"
	[ "$status" -ne 0 ]
	[[ $output == *--vxlan-port* ]]
	run "$WEFTD" --mtu 100 --cluster-file "$WT_DIR/cluster.json"
	[ "$status" -ne 0 ]
	[[ $output == *--mtu*118* ]]
	run "$WEFTD" --state-dir "$WT_DIR/x"
	[ "$status" -ne 0 ]
	[[ $output == *"--pod-cidr is required without --cluster-file"* ]]
	run "$WEFTD" --help
	[[ $output == *--cluster-file* && $output == *--vxlan-port* ]]
}
