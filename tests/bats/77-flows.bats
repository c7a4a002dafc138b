#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Flow events (issue 10): what the programs report through the ring buffer,
# as weftd makes it into flow records and `weftctl flows` shows them. On the
# NetworkPolicy fixture (tests/bats/netpol.bash): a policy drop, a spoofed
# packet and an allowed flow each give the record with names and the policy
# that decided. On one node: a flood of drops stays within the rate limit
# and every drop is either sent or counted lost, exactly.

load helpers
load cluster
load netpol

teardown() {
	if [[ -v NP_PODS ]]; then netpol_teardown; else wt_teardown; fi
}

# flows_after NODE SEQ [WEFTCTL FLAGS...]: the node's records after SEQ,
# one JSON object a line.
flows_after() {
	local i=$1 seq=$2
	shift 2
	cl_weftctl "$i" -o json flows --last 0 "$@" | jq -c --argjson s "$seq" 'select(.seq > $s)'
}

flows_cursor() {
	cl_weftctl "$1" -o json flows --last 1 | jq -s 'map(.seq) | max // 0'
}

# wait_flow NODE SEQ JQ-FILTER: the first record after SEQ that JQ-FILTER
# selects, waiting up to 3 s for it (weftd reads the ring on its loop).
wait_flow() {
	local i=$1 seq=$2 sel=$3 rec t
	for t in $(seq 30); do
		rec=$(flows_after "$i" "$seq" | jq -c "select($sel)" | head -1)
		[[ -n $rec ]] && break
		sleep 0.1
	done
	[[ -n $rec ]] || {
		echo "no record after $seq on node $i matches: $sel" >&2
		flows_after "$i" "$seq" >&2
		return 1
	}
	echo "$rec"
}

# probe FROM TO PORT: one TCP connection attempt FROM pod -> TO pod.
probe() {
	in_np_pod "$1" "$NETPROBE" probe --timeout-ms 500 "${NP_IP[$2]}/tcp/$3" || true
}

@test "flows: a policy drop, a spoofed packet and an allowed flow, named and attributed" {
	CL_WEFTD_ARGS=(--flow-events policy)
	netpol_up
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	netpol_apply allow-yb x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
		"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80, "protocol": "TCP"}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow 'y/b' 'x/a' tcp 80
	netpol_expect
	# x/a, y/b and z/a are on node 1, where x/a's ingress is checked.
	local seq rec
	seq=$(flows_cursor 1)

	# A policy drop: z/a -> x/a:80.
	probe z/a x/a 80
	rec=$(wait_flow 1 "$seq" '.reason == "drop-policy-denied" and .source.pod == "a" and .source.namespace == "z" and .ip.destinationPort == 80')
	echo "$rec"
	jq -e '.verdict == "dropped" and .direction == "to-pod" and .node == "'"$(cl_node_name 1)"'"
		and .destination.namespace == "x" and .destination.pod == "a"
		and .destination.labels.pod == "a" and .source.labels.pod == "a"
		and .source.identity >= 256 and .destination.identity >= 256
		and .ip.protocol == "tcp" and (.ip.tcpFlags | contains("SYN")) and .reply == false
		and (.interface | startswith("wft"))
		and .policy.direction == "ingress"
		and (.policy.selectedBy | sort) == ["x/allow-yb", "x/deny-ingress"]
		and (.policy.explanation | test("^selected by 2 policies for ingress, none allows TCP/80 from identity [0-9]+ \\(z/a\\)$"))' <<<"$rec"

	# An allowed flow: y/b -> x/a:80, with the policy and the rule.
	probe y/b x/a 80
	rec=$(wait_flow 1 "$seq" '.reason == "policy-allowed" and .source.namespace == "y" and .destination.pod == "a"')
	echo "$rec"
	jq -e '.verdict == "forwarded" and .direction == "to-pod" and .source.pod == "b"
		and .destination.namespace == "x" and .ip.destinationPort == 80
		and .policy.name == "x/allow-yb" and .policy.rule == "ingress[0]"
		and .policy.direction == "ingress"' <<<"$rec"

	# A spoofed packet: x/c sends from an address that is not its own.
	in_np_pod x/c ip addr add 10.244.1.250/32 dev eth0
	in_np_pod x/c ping -c 1 -W 1 -I 10.244.1.250 "${NP_IP[x/a]}" >/dev/null || true
	rec=$(wait_flow 1 "$seq" '.reason == "drop-spoofed-ip"')
	echo "$rec"
	jq -e '.verdict == "dropped" and .direction == "from-pod"
		and .pod.namespace == "x" and .pod.name == "c"
		and .ip.source == "10.244.1.250" and .ip.protocol == "icmp"
		and .destination.namespace == "x" and .destination.pod == "a"
		and (.policy | not)' <<<"$rec"

	# The filters: by pod, namespace, verdict, reason and port.
	flows_after 1 "$seq" --pod x/c --verdict dropped | jq -e -s 'length >= 1 and all(.reason == "drop-spoofed-ip")'
	flows_after 1 "$seq" --namespace z --reason drop-policy-denied | jq -e -s 'length >= 1 and all(.source.namespace == "z")'
	flows_after 1 "$seq" --verdict forwarded --port 80 | jq -e -s 'length >= 1 and all(.reason == "policy-allowed")'
	# The table names the same.
	run cl_weftctl 1 flows --pod z/a --reason drop-policy-denied
	[[ $output == *"z/a"*"x/a:80"* ]]
	[[ $output == *"selected by 2 policies"* ]]
}

@test "flows: --follow prints new records as they come" {
	netpol_up
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	expect_all allow
	expect deny '*' 'x/*'
	netpol_expect
	# weftctl itself in the background (not a function's subshell), so
	# $! is weftctl.
	"$WEFTCTL" --socket "$(cl_sock 1)" -o json flows --follow --last 0 \
		--reason drop-policy-denied --port 81 >"$WT_DIR/follow.out" &
	local pid=$!
	sleep 0.5
	probe z/a x/a 81
	local t
	for t in $(seq 30); do
		grep -q '"destinationPort":81' "$WT_DIR/follow.out" && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" || true
	jq -e -s 'length >= 1 and all(.reason == "drop-policy-denied" and .ip.destinationPort == 81)' "$WT_DIR/follow.out"
}

# drops: every drop counted in weft_metrics, summed over directions.
drops_counted() {
	"$WEFTCTL" --socket "$SOCK" -o json metrics | jq '[.metrics[] | select(.code < 0) | .packets] | add // 0'
}
# sent + suppressed + ringbufFull, and the three
flow_counts() {
	"$WEFTCTL" --socket "$SOCK" -o json status | jq -r '.flows | "\(.sent + .suppressed + .ringbufFull) \(.sent) \(.suppressed) \(.ringbufFull) \(.read)"'
}

@test "flows: a flood of drops stays within the rate limit; sent + suppressed + ringbuf-full == drops" {
	node_up --flow-rate 100
	pod_add a
	pod_add b
	# Forwarded packets give no event in the drops mode.
	in_pod a ping -c 3 -i 0.2 -W 2 "$(pod_ip b)" >/dev/null
	run "$WEFTCTL" --socket "$SOCK" -o json flows --last 0 --verdict forwarded
	[ -z "$output" ]
	# A flood from a spoofed source: every datagram is dropped at a's from-pod.
	in_pod a ip addr add 10.99.0.1/32 dev eth0
	in_pod a ip route replace default via 169.254.1.1 dev eth0 src 10.99.0.1 onlink
	local t0 t1 ncpu
	t0=$(now_ms)
	in_pod a bash -c 'for i in $(seq 20000); do echo x >/dev/udp/'"$(pod_ip b)"'/9; done' 2>/dev/null || true
	t1=$(now_ms)
	ncpu=$(nproc --all)
	# The counts settle once weftd has read the ring; then, read back to
	# back with no traffic, the two sides agree exactly.
	local drops counts n=0
	while :; do
		counts=$(flow_counts)
		drops=$(drops_counted)
		[[ ${counts%% *} == "$drops" && $counts == "$(flow_counts)" ]] && break
		((++n < 30)) || break
		sleep 0.1
	done
	echo "drops $drops; sum sent suppressed ringbuf-full read: $counts; flood $((t1 - t0)) ms on $ncpu CPUs"
	[ "${counts%% *}" = "$drops" ]
	read -r _ sent suppressed full read <<<"$counts"
	((drops >= 20000))
	((suppressed > 0))
	# Within the rate: a burst of 100 and 100 a second, per CPU.
	((sent <= ncpu * (100 + 100 * (t1 - t0 + 999) / 1000)))
	# weftd read every event sent, and keeps them as records.
	[ "$read" = "$sent" ]
	run "$WEFTCTL" --socket "$SOCK" -o json flows --last 0 --reason drop-spoofed-ip
	(($(wc -l <<<"$output") >= sent - 10))
	# The lost events are on /metrics' side too, by cause (57-metrics checks
	# the format).
	run "$WEFTCTL" --socket "$SOCK" -o json status
	jq -e --argjson s "$suppressed" '.flows.suppressed == $s and .flows.mode == "drops" and .flows.rate == 100' <<<"$output"
}
