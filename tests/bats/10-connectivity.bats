#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Pods wired by the plugin talk to each other and to the host, through their
# own eBPF programs; spoofed traffic is dropped and counted.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

# tcp_talk FROM TO: a TCP round trip from pod FROM to a listener in pod TO.
tcp_talk() {
	local from=$1 to=$2 ip
	ip=$(pod_ip "$to")
	in_pod "$to" timeout 5 nc -l -N "$ip" 8080 >"$WT_DIR/tcp-$to.out" &
	local lpid=$!
	local i
	for ((i = 0; i < 50; i++)); do
		in_pod "$to" ss -ltn | grep -q ":8080" && break
		sleep 0.05
	done
	echo "hello from $from" | in_pod "$from" timeout 5 nc -N "$ip" 8080
	wait "$lpid"
	grep -q "hello from $from" "$WT_DIR/tcp-$to.out"
}

@test "two pods ping each other and talk TCP" {
	pod_add a
	pod_add b
	[ "$(pod_ip a)" != "$(pod_ip b)" ]
	in_pod a ping -c 3 -i 0.2 -W 2 "$(pod_ip b)"
	in_pod b ping -c 3 -i 0.2 -W 2 "$(pod_ip a)"
	tcp_talk a b
	tcp_talk b a
	# Delivered by redirect in from-pod, not routed by the host stack.
	[ "$(metric from-pod forward-local)" -ge 6 ]
	[ "$(metric to-pod deliver-to-pod)" -ge 6 ]
}

@test "local delivery goes straight into the destination pod, through its to-pod checks" {
	pod_add a
	pod_add b
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	local tx0 to0
	tx0=$(host_veth_tx b) to0=$(metric to-pod deliver-to-pod)
	in_pod a ping -c 50 -i 0.01 -W 2 "$(pod_ip b)"
	# Each slot of weft_policy_progs holds one endpoint's weft_to_pod_local.
	[ "$(policy_slot_count)" -eq 2 ]
	# bpf_redirect_peer() skips b's host veth: it did not send the 50
	# requests (the slow path, a redirect to that veth, would count them).
	[ $(($(host_veth_tx b) - tx0)) -lt 10 ]
	# ... but b's to-pod checks still ran on them, and on a's 50 replies.
	[ $(($(metric to-pod deliver-to-pod) - to0)) -ge 100 ]
}

@test "the pod's gateway ARP is answered in BPF; no broadcast reaches the host" {
	pod_add a
	local hostmac
	hostmac=$(host_veth_mac)
	# The gateway answers, with the host veth's MAC, from BPF.
	in_pod a arping -c 1 -w 2 -I eth0 169.254.1.1
	[ "$(metric from-pod arp-reply)" -ge 1 ]
	in_pod a ping -c 1 -W 2 192.0.2.1
	in_pod a ip neigh show 169.254.1.1 | grep -q "$hostmac"
	# ARP for the host's own address is dropped at the veth: the host stack,
	# which would answer it, never sees it.
	run in_pod a arping -c 2 -w 2 -I eth0 192.0.2.1
	[ "$status" -ne 0 ]
	[ "$(metric from-pod drop-arp-not-gateway)" -ge 2 ]
}

@test "the host reaches a pod (ping and TCP, as kubelet probes do)" {
	pod_add a
	local ip
	ip=$(pod_ip a)
	in_node ping -c 3 -i 0.2 -W 2 "$ip"
	in_pod a timeout 5 nc -l -N "$ip" 8080 >"$WT_DIR/probe.out" &
	local lpid=$!
	for _ in $(seq 50); do in_pod a ss -ltn | grep -q ":8080" && break; sleep 0.05; done
	echo probe | in_node timeout 5 nc -N "$ip" 8080
	wait "$lpid"
	grep -q probe "$WT_DIR/probe.out"
	# and the pod reaches the host's address
	in_pod a ping -c 1 -W 2 192.0.2.1
}

@test "a pod sending with another pod's IP is dropped and counted" {
	pod_add a
	pod_add b
	local a b
	a=$(pod_ip a) b=$(pod_ip b)
	# Pod a claims a made-up address and pings b from it.
	in_pod a ip addr add 10.244.1.250/32 dev eth0
	run in_pod a ping -c 2 -i 0.2 -W 1 -I 10.244.1.250 "$b"
	[ "$status" -ne 0 ]
	[ "$(metric from-pod drop-spoofed-ip)" -ge 2 ]
	# Its own address still works.
	in_pod a ping -c 1 -W 2 "$b"
}

@test "a pod sending with a forged source MAC is dropped and counted" {
	pod_add a
	pod_add b
	in_pod a ip link set eth0 address 02:00:00:00:00:99
	run in_pod a ping -c 2 -i 0.2 -W 1 "$(pod_ip b)"
	[ "$status" -ne 0 ]
	[ "$(metric from-pod drop-spoofed-mac)" -ge 1 ]
}

@test "cnitool (libcni) wires two pods through a conflist with a chained plugin" {
	local a b
	a=$(pod_netns_add ca)
	b=$(pod_netns_add cb)
	cnitool add weftnet "/run/netns/$a"
	[ "$status" -eq 0 ]
	local ipa
	ipa=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
	cnitool add weftnet "/run/netns/$b"
	[ "$status" -eq 0 ]
	# tuning ran after weft with weft's prevResult
	[ "$(nsenter --net="/run/netns/$b" cat /proc/sys/net/ipv4/conf/eth0/accept_local)" = 1 ]
	nsenter --net="/run/netns/$b" ping -c 2 -i 0.2 -W 2 "$ipa"
	cnitool check weftnet "/run/netns/$a"
	[ "$status" -eq 0 ]
	cnitool del weftnet "/run/netns/$a"
	[ "$status" -eq 0 ]
	cnitool del weftnet "/run/netns/$b"
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "weftctl shows endpoints and metrics as a table and as JSON" {
	pod_add a
	run "$WEFTCTL" --socket "$SOCK" endpoints
	[ "$status" -eq 0 ]
	[[ $output == *"$(pod_ip a)"* ]]
	[[ $output == *"default/a"* ]]
	run "$WEFTCTL" --socket "$SOCK" -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.endpoints[0].attached' <<<"$output")" = true ]
	run "$WEFTCTL" --socket "$SOCK" -o json status
	[ "$(jq -r .podCIDR <<<"$output")" = "$POD_CIDR" ]
	in_node ping -c 1 -W 2 "$(pod_ip a)"
	run "$WEFTCTL" --socket "$SOCK" metrics
	[ "$status" -eq 0 ]
	[[ $output == *deliver-to-pod* ]]
}
