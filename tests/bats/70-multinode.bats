#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Several nodes, each a network namespace with its own weftd, on one underlay
# bridge (tests/bats/cluster.bash): pods on different nodes talk through the
# VXLAN overlay, pods reach a host outside the cluster through SNAT, and the
# overlay follows the cluster file live.

load helpers
load cluster

teardown() {
	wt_teardown
}

# reach POD IP: one echo answered within 300 ms.
reach() {
	in_cl_pod "$1" ping -c 1 -W 0.3 -q "$2" >/dev/null 2>&1
}

# unreachable POD IP: no answer within 100 ms (a finer poll than reach; the
# tests confirm with a longer ping after it).
unreachable() {
	! in_cl_pod "$1" ping -c 1 -W 0.1 -q "$2" >/dev/null 2>&1
}

# tcp_send FROM TO BYTES: BYTES of random data from pod FROM to a listener in
# pod TO, compared by checksum at both ends.
tcp_send() {
	local from=$1 to=$2 bytes=$3 ip lpid
	ip=$(pod_ip "$to")
	head -c "$bytes" /dev/urandom >"$WT_DIR/tx-$from"
	in_cl_pod "$to" timeout 20 nc -l -N "$ip" 8080 >"$WT_DIR/rx-$to" 3>&- &
	lpid=$!
	wait_until 2000 in_cl_pod_listens "$to" 8080
	in_cl_pod "$from" timeout 20 nc -N "$ip" 8080 <"$WT_DIR/tx-$from"
	wait "$lpid"
	[ "$(sha256sum <"$WT_DIR/tx-$from")" = "$(sha256sum <"$WT_DIR/rx-$to")" ]
}

in_cl_pod_listens() {
	in_cl_pod "$1" ss -ltn | grep -q ":$2 "
}

# ip_counter NODE FIELD: an IP MIB counter (IpFragCreates, IpReasmReqds, ...)
# of node NODE's namespace.
ip_counter() {
	in_cl_node "$1" nstat -asz "$2" | awk -v f="$2" '$1 == f { print $2 }'
}

# endpoints NODE: id, IPs, host veth, program ids and attachment of every
# endpoint, one per line: any re-creation or reload changes it.
endpoints() {
	cl_weftctl "$1" -o json endpoints |
		jq -c '.endpoints[] | [.id, .ips, .hostIfindex, .programs, .attached]' | sort
}

@test "3 nodes x 2 pods: every pod reaches every other pod and the external host" {
	cluster_up 3
	local i pods=() from to failed=()
	for i in 1 2 3; do
		cluster_pod_add "$i" "p${i}a"
		cluster_pod_add "$i" "p${i}b"
		pods+=("p${i}a" "p${i}b")
		# addresses from the pod CIDR weftd took from its own Node object
		[[ $(pod_ip "p${i}a") == 10.244.$i.* && $(pod_ip "p${i}b") == 10.244.$i.* ]]
		# one VXLAN device per node, external (collect_md) mode, UDP 4789
		run in_cl_node "$i" ip -d -j link show dev weft_vxlan
		[ "$status" -eq 0 ]
		[ "$(jq -r '.[0].linkinfo.info_kind' <<<"$output")" = vxlan ]
		[ "$(jq -r '.[0].linkinfo.info_data.external' <<<"$output")" = true ]
		[ "$(jq -r '.[0].linkinfo.info_data.port' <<<"$output")" = 4789 ]
	done
	for from in "${pods[@]}"; do
		for to in "${pods[@]}"; do
			[[ $from == "$to" ]] && continue
			in_cl_pod "$from" ping -c 1 -W 2 -q "$(pod_ip "$to")" >/dev/null || failed+=("$from->$to")
		done
		in_cl_pod "$from" ping -c 1 -W 2 -q "$CL_EXT_IP" >/dev/null || failed+=("$from->external")
	done
	# node -> pod on another node (kubelet probes, node-local agents)
	for i in 1 2 3; do
		for to in "${pods[@]}"; do
			in_cl_node "$i" ping -c 1 -W 2 -q "$(pod_ip "$to")" >/dev/null || failed+=("node$i->$to")
		done
	done
	if ((${#failed[@]})); then
		echo "no reply: ${failed[*]}" >&2
		return 1
	fi
	# the cross-node pings went through the tunnel
	[ "$(in_cl_node 1 ip -j -s link show dev weft_vxlan | jq '.[0].stats64.tx.packets')" -ge 8 ]
}

@test "a pod reaches a host outside the cluster through SNAT to its node's IP" {
	cluster_up 2
	cluster_pod_add 2 a
	# The external host has no route back to any pod CIDR: only SNAT can work.
	run in_ext ip route get "$(pod_ip a)"
	[ "$status" -ne 0 ]
	in_cl_pod a ping -c 3 -i 0.2 -W 2 "$CL_EXT_IP"
	echo pong | in_ext timeout 10 nc -l -N -n -v "$CL_EXT_IP" 9000 >"$WT_DIR/ext.out" 2>"$WT_DIR/ext.err" 3>&- &
	local lpid=$!
	wait_until 2000 eval "in_ext ss -ltn | grep -q ':9000 '"
	run in_cl_pod a timeout 10 nc -N "$CL_EXT_IP" 9000 <<<ping
	wait "$lpid"
	[ "$status" -eq 0 ]
	[ "$output" = pong ]
	grep -q ping "$WT_DIR/ext.out"
	# the connection came from node 2's underlay address, not the pod's
	grep -q "Connection received on $(cl_node_ip 2) " "$WT_DIR/ext.err"
}

# udp_send FROM TO BYTES: one datagram of BYTES from pod FROM to pod TO.
udp_send() {
	local from=$1 to=$2 bytes=$3 ip lpid
	ip=$(pod_ip "$to")
	head -c "$bytes" /dev/urandom >"$WT_DIR/utx-$from"
	in_cl_pod "$to" timeout 5 nc -u -l "$ip" 9999 >"$WT_DIR/urx-$to" 3>&- &
	lpid=$!
	wait_until 2000 eval "in_cl_pod $to ss -lun | grep -q ':9999 '"
	in_cl_pod "$from" timeout 2 nc -u -q 0 "$ip" 9999 <"$WT_DIR/utx-$from"
	wait_until 2000 eval "[ \$(stat -c %s '$WT_DIR/urx-$to') -eq $bytes ]"
	kill "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
	cmp "$WT_DIR/utx-$from" "$WT_DIR/urx-$to"
}

@test "TCP and UDP across nodes: 4 MB each way intact, fragmented datagrams, node -> remote pod" {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	tcp_send a b $((4 << 20))
	tcp_send b a $((4 << 20))
	# a datagram that fits, and one the pod fragments (every fragment must
	# cross the overlay, not only the one with the UDP header)
	udp_send a b 1400
	udp_send a b 4000
	in_cl_pod b ping -c 2 -i 0.2 -W 1 -M dont -s 3000 "$(pod_ip a)"
	# node 1's own stack to the pod on node 2 (a kubelet probe from elsewhere)
	local lpid ip
	ip=$(pod_ip b)
	in_cl_pod b timeout 10 nc -l -N "$ip" 8081 >"$WT_DIR/probe.out" 3>&- &
	lpid=$!
	wait_until 2000 in_cl_pod_listens b 8081
	in_cl_node 1 timeout 10 nc -N "$ip" 8081 <<<probe
	wait "$lpid"
	grep -q probe "$WT_DIR/probe.out"
	in_cl_node 1 ping -c 2 -i 0.2 -W 1 -s 8000 "$ip"
}

@test "full-size packets cross nodes with DF set and no fragmentation; one byte more fails cleanly" {
	# An underlay MTU other than 1500 shows the pod MTU is derived from it.
	cluster_up 2 1400
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	local mtu frags reasm
	mtu=$(cl_pod_mtu a)
	[ "$mtu" -eq $((CL_MTU - CL_VXLAN_OVERHEAD)) ]
	[ "$(cl_pod_mtu b)" -eq "$mtu" ]
	frags=$(ip_counter 1 IpFragCreates)
	reasm=$(ip_counter 2 IpReasmReqds)
	# 20 bytes IP + 8 ICMP + payload = the pod MTU exactly
	in_cl_pod a ping -c 3 -i 0.2 -W 2 -M do -s $((mtu - 28)) "$(pod_ip b)"
	in_cl_pod b ping -c 3 -i 0.2 -W 2 -M do -s $((mtu - 28)) "$(pod_ip a)"
	# the encapsulated packets fit the underlay: nothing fragmented on the
	# way out, nothing reassembled on the way in
	[ "$(ip_counter 1 IpFragCreates)" -eq "$frags" ]
	[ "$(ip_counter 2 IpReasmReqds)" -eq "$reasm" ]
	# One byte more: refused at the pod with "message too long" (its MTU), not
	# fragmented and not silently lost somewhere on the underlay.
	run in_cl_pod a ping -c 1 -W 2 -M do -s $((mtu - 27)) "$(pod_ip b)"
	[ "$status" -ne 0 ]
	[[ $output == *"message too long"* ]]
	[ "$(ip_counter 1 IpFragCreates)" -eq "$frags" ]
}

@test "--mtu gives the node network's MTU: pods get it less the VXLAN overhead" {
	CL_WEFTD_ARGS=(--mtu 1400)
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	[ "$(cl_pod_mtu a)" -eq $((1400 - CL_VXLAN_OVERHEAD)) ]
	in_cl_pod a ping -c 3 -i 0.2 -W 2 -M do -s $((1400 - CL_VXLAN_OVERHEAD - 28)) "$(pod_ip b)"
}

@test "a weftd started before its Node object exists waits for it, then serves" {
	cluster_net_up 2
	local n2 wpid
	n2=$WT_DIR/objects/10-node-$(cl_node_name 2).json
	mv "$n2" "$WT_DIR/node2.json"
	cluster_file_write
	cluster_weftd_start 1
	# kubelet registers the node a second after the DaemonSet pod started
	(
		sleep 1
		mv "$WT_DIR/node2.json" "$n2"
		cluster_file_write
	) 3>&- &
	wpid=$!
	cluster_weftd_start 2
	wait "$wpid"
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	[[ $(pod_ip b) == 10.244.2.* ]]
	wait_until 1000 reach a "$(pod_ip b)"
}

@test "a node added live becomes reachable, a removed one unreachable; the others lose nothing" {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	reach a "$(pod_ip b)"
	local before1 before2 spid count=1500
	before1=$(endpoints 1)
	before2=$(endpoints 2)
	# ~15 s of pings at 100/s between the two nodes that stay
	in_cl_pod a ping -i 0.01 -c "$count" -W 1 -q "$(pod_ip b)" >"$WT_DIR/stream.out" 2>&1 3>&- &
	spid=$!
	sleep 0.5

	cluster_node_add 3
	cluster_pod_add 3 c
	# within a second of its Pod object, from the existing nodes and back
	wait_until 1000 reach a "$(pod_ip c)"
	echo "# node 3's pod reached from node 1 after ${WAITED_MS} ms" >&3
	wait_until 1000 reach b "$(pod_ip c)"
	reach c "$(pod_ip a)"
	reach c "$(pod_ip b)"
	reach c "$CL_EXT_IP"

	cluster_node_remove 3
	wait_until 1000 unreachable a "$(pod_ip c)"
	echo "# node 3's pod unreachable from node 1 after ${WAITED_MS} ms" >&3
	wait_until 1000 unreachable b "$(pod_ip c)"
	run in_cl_pod a ping -c 3 -i 0.2 -W 0.5 "$(pod_ip c)"
	[ "$status" -ne 0 ]

	if ! kill -0 "$spid" 2>/dev/null; then
		echo "the ping stream ended before the node was added and removed" >&2
		return 1
	fi
	wait "$spid"
	cat "$WT_DIR/stream.out"
	grep -q "$count packets transmitted, $count received" "$WT_DIR/stream.out"
	# the endpoints on the other nodes were not touched
	[ "$(endpoints 1)" = "$before1" ]
	[ "$(endpoints 2)" = "$before2" ]
}

@test "a pod deleted on one node is gone for the others; its neighbours are untouched" {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	cluster_pod_add 2 c
	reach a "$(pod_ip b)"
	local before
	before=$(endpoints 2 | grep -F "\"$(pod_ip c)\"")
	cluster_pod_del 2 b
	[ "$(cl_weftctl 2 -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(endpoints 2)" = "$before" ]
	run in_cl_pod a ping -c 2 -i 0.2 -W 0.5 "$(pod_ip b)"
	[ "$status" -ne 0 ]
	in_cl_pod a ping -c 2 -i 0.2 -W 1 "$(pod_ip c)"
}

@test "a node whose InternalIP changes is reached at the new address" {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	reach a "$(pod_ip b)"
	# After this, the old address is gone: only tunnels to the new one work.
	cluster_node_readdress 2 "$CL_NET.102"
	# weftd takes a change of its own node's address at start (it says so
	# in its log); a node whose address changes restarts its agents anyway.
	wait_until 2000 eval "cl_weftd_log 2 | grep -q 'InternalIP or podCIDR changed'"
	cluster_weftd_stop 2
	cluster_weftd_start 2
	# node 1 followed the Node update on its own, while node 2 restarted
	wait_until 1000 reach a "$(pod_ip b)"
	echo "# node 2's pod reached at its node's new address ${WAITED_MS} ms after weftd 2 restarted" >&3
	reach b "$(pod_ip a)"
	in_cl_pod a ping -c 5 -i 0.1 -W 1 "$(pod_ip b)"
}

@test "--vxlan-port: the nodes tunnel on the given UDP port" {
	CL_WEFTD_ARGS=(--vxlan-port 8472)
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	run in_cl_node 1 ip -d -j link show dev weft_vxlan
	[ "$(jq -r '.[0].linkinfo.info_data.port' <<<"$output")" = 8472 ]
	in_cl_pod a ping -c 3 -i 0.2 -W 2 "$(pod_ip b)"
	# nothing listens on the default port
	run in_cl_node 2 ss -Hlun sport = :4789
	[ -z "$output" ]
}

@test "a broken or deleted cluster file keeps the last good state, and weftd logs what is wrong" {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	reach a "$(pod_ip b)"
	local good i
	good=$(cat "$CL_FILE")

	# Applied, this file would drop node 2 and its pod: a -> b would break.
	jq --arg n2 "$(cl_node_name 2)" '.items |= (map(select(.metadata.name != $n2 and .metadata.name != "b"))
		+ [{apiVersion: "v1", kind: "Pod", metadata: {name: "bad", namespace: "default", uid: "uid-bad"},
		    spec: {nodeName: $n2, containers: [{name: "c", image: "none"}]},
		    status: {phase: "Running", podIP: "10.244.2.300"}}])' <<<"$good" | cluster_file_write_raw
	# each weftd names the object, its position and the field
	for i in 1 2; do
		wait_until 2000 eval "cl_weftd_log $i | grep -q 'Pod default/bad.*status.podIP'"
		cl_weftd_log "$i" | grep 'Pod default/bad' | grep -q 'items\[[0-9]*\]'
		cl_weftd_log "$i" | grep 'Pod default/bad' | grep -q 'keeping the last good state'
		kill -0 "$(cat "$(cl_node_dir "$i")/weftd.pid")"
	done
	in_cl_pod a ping -c 3 -i 0.2 -W 1 "$(pod_ip b)"

	# not JSON at all: the position of the syntax error
	head -c 200 <<<"$good" | cluster_file_write_raw
	wait_until 2000 eval "cl_weftd_log 1 | grep -q 'line [0-9]*, column [0-9]*'"
	in_cl_pod a ping -c 3 -i 0.2 -W 1 "$(pod_ip b)"

	# the file deleted: the last state stays too
	rm -f "$CL_FILE"
	wait_until 2000 eval "cl_weftd_log 1 | grep -q 'does not exist; keeping the last state'"
	in_cl_pod a ping -c 3 -i 0.2 -W 1 "$(pod_ip b)"

	# a good file again is applied: a new pod on node 2 becomes reachable
	cluster_pod_add 2 c
	wait_until 1000 reach a "$(pod_ip c)"
	reach a "$(pod_ip b)"
}

@test "a cluster file in a missing directory: weftd refuses to start, says why, leaves nothing" {
	cluster_net_up 1
	local dir
	dir=$(cl_node_dir 1)/refused
	run in_cl_node 1 timeout 10 "$WEFTD" --node-name "$(cl_node_name 1)" \
		--cluster-file "$WT_DIR/missing/cluster.json" --state-dir "$dir/state" \
		--bpffs "$dir/bpffs" --socket "$dir/weftd.sock" --bpf-dir "$OUTPUT/bpf"
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ $output == *"$WT_DIR/missing"* ]]
	[ -z "$(awk -v d="$dir/" 'index($2, d) == 1' /proc/mounts)" ]
	[ ! -e "$dir/weftd.sock" ]
	[ ! -e "$dir/state" ]
	[ -z "$(in_cl_node 1 ip -o link show | grep -E 'wf|weft')" ]
}

@test "the cluster's tear-down leaves no namespace, link, mount, directory or weftd" {
	local before after id dir
	before=$(ip -o link show | awk -F': ' '{ print $2 }' | sort)
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	reach a "$(pod_ip b)" || true # traffic or not, the tear-down must be complete
	id=$WT_ID dir=$WT_DIR
	wt_teardown
	run cluster_leftovers "$id" "$dir"
	[ -z "$output" ]
	# nothing of weft's in the host's own namespace either
	after=$(ip -o link show | awk -F': ' '{ print $2 }' | sort)
	[ -z "$(comm -13 <(echo "$before") <(echo "$after") | grep -E '^(wf|weft)')" ]
}

@test "a Node that takes another's podCIDR or InternalIP is logged, naming both" {
	cluster_up 2
	local n2
	n2=$(cl_node_name 2)
	cl_object_put "10-node-$n2" "$(cl_node_json 2 | jq --arg c "$(cl_node_cidr 1)" \
		'.spec.podCIDR = $c | .spec.podCIDRs = [$c]')"
	cluster_file_write
	wait_until 3000 grep -q "node $n2's podCIDR $(cl_node_cidr 1) overlaps node $(cl_node_name 1)'s" \
		"$(cl_node_dir 1)/weftd.log"
	cl_object_put "10-node-$n2" "$(cl_node_json 2 | jq --arg ip "$(cl_node_ip 1)" \
		'.status.addresses[0].address = $ip')"
	cluster_file_write
	wait_until 3000 grep -q "node $n2 has the InternalIP $(cl_node_ip 1) of node $(cl_node_name 1)" \
		"$(cl_node_dir 1)/weftd.log"
}
