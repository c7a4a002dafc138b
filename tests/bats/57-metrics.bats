#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd --metrics-addr: /metrics in the Prometheus text format (checked by
# promtool), counters that move with real traffic and requests, /healthz and
# /readyz, bound only where asked, and a slow client never holds up weftd.

load helpers

MADDR=127.0.0.1:9962

setup() {
	command -v promtool >/dev/null || skip "promtool is not installed (make deps installs Debian's prometheus)"
	node_up --metrics-addr "$MADDR"
}
teardown() { wt_teardown; }

# get PATH: the body in $output, the HTTP status in $code.
get() {
	local out
	out=$(in_node curl -s -m 5 -w '\n%{http_code}' "http://$MADDR$1")
	code=${out##*$'\n'}
	output=${out%$'\n'*}
	output=${output%$'\n'}
}

# sample NAME{LABELS}: the value of one sample line, 0 when absent.
sample() {
	get /metrics
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' <<<"$output"
}

@test "metrics: /metrics passes promtool; counters move with pods, traffic, requests and an upgrade" {
	get /metrics
	[ "$code" = 200 ]
	promtool check metrics <<<"$output"
	[ "$(sample weft_endpoints)" = 0 ]
	# weftd's spare policy maps go in right after its start (2 s at most)
	local i
	for ((i = 0; i < 40; i++)); do
		[ "$(sample weft_policy_spare_maps)" = 16 ] && break
		sleep 0.05
	done
	[ "$(sample weft_policy_spare_maps)" = 16 ]
	pod_add a
	pod_add b
	in_pod a ping -c 3 -i 0.2 -W 2 "$(pod_ip b)" >/dev/null
	get /metrics
	promtool check metrics <<<"$output"
	[ "$(sample weft_endpoints)" = 2 ]
	[ "$(sample 'weft_api_requests_total{op="endpoint.add",result="ok"}')" = 2 ]
	[ "$(sample 'weft_api_request_duration_seconds_count{op="endpoint.add"}')" = 2 ]
	[ "$(sample 'weft_api_request_duration_seconds_bucket{op="endpoint.add",le="+Inf"}')" = 2 ]
	# The same counters weft_metrics holds, as weftctl reads them.
	local fwd
	fwd=$(sample 'weft_datapath_packets_total{direction="from-pod",reason="forward-local"}')
	((fwd >= 6))
	[ "$fwd" = "$(metric from-pod forward-local)" ]
	(($(sample 'weft_datapath_bytes_total{direction="from-pod",reason="forward-local"}') >= 6 * 84))
	# Both ADDs found their policy map in place: no miss, and the pool
	# is topped up again (by its thread: allow it a moment).
	[ "$(sample weft_policy_spare_misses_total)" = 0 ]
	(($(sample weft_policy_spare_maps) >= 14))
	# Map pressure: two endpoints in weft_endpoints, and its capacity.
	[ "$(sample 'weft_map_entries{map="weft_endpoints"}')" = 2 ]
	(($(sample 'weft_map_max_entries{map="weft_endpoints"}') > 2))
	[[ $(sample 'weft_map_fill_ratio{map="weft_endpoints"}') != 0 ]]
	# Flow events: none lost yet, as many sent as weftd shows (the pods'
	# own IPv6 start-up frames are drops, so some may have been sent).
	[ "$(sample 'weft_flow_events_lost_total{cause="rate-limit"}')" = 0 ]
	[ "$(sample 'weft_flow_events_lost_total{cause="ringbuf-full"}')" = 0 ]
	(($(sample weft_flow_events_total) <= $("$WEFTCTL" --socket "$SOCK" -o json status | jq .flows.sent)))
	[ "$(sample weft_flow_history_capacity)" = 8192 ]
	# A refused request counts as an error.
	"$WEFTCTL" --socket "$SOCK" policy default/nope >/dev/null 2>&1 || true
	[ "$(sample 'weft_api_requests_total{op="policy",result="error"}')" = 1 ]
	[ "$(sample 'weft_upgrades_total{result="ok"}')" = 0 ]
	"$WEFTCTL" --socket "$SOCK" upgrade >/dev/null
	[ "$(sample 'weft_upgrades_total{result="ok"}')" = 1 ]
	[ "$(sample weft_upgrade_last_success)" = 1 ]
	[[ $(sample weft_upgrade_last_duration_seconds) != 0 ]]
	pod_del b
	[ "$(sample weft_endpoints)" = 1 ]
	# Counts only: no pod address appears anywhere in the output.
	get /metrics
	[[ $output != *"$(pod_ip a)"* ]]
}

@test "metrics: /healthz and /readyz answer; other paths 404, other methods 405" {
	get /healthz
	[ "$code" = 200 ] && [ "$output" = ok ]
	get /readyz
	[ "$code" = 200 ] && [ "$output" = ready ]
	get /nope
	[ "$code" = 404 ]
	[ "$(in_node curl -s -o /dev/null -w '%{http_code}' -X POST "http://$MADDR/metrics")" = 405 ]
	[ "$(in_node curl -s -o /dev/null -w '%{http_code}' -I "http://$MADDR/healthz")" = 200 ]
}

@test "metrics: bound only on the address asked for" {
	# 192.0.2.1 is the node's own address: nothing listens there.
	run in_node curl -s -m 2 "http://192.0.2.1:9962/healthz"
	[ "$status" -ne 0 ]
	get /healthz
	[ "$code" = 200 ]
}

@test "metrics: clients that send nothing hold up neither the socket API nor /metrics, and are cut" {
	local pids=() i
	# More silent clients than the server has slots (16).
	for i in $(seq 20); do
		in_node sleep 30 | in_node nc -q 30 127.0.0.1 9962 >/dev/null &
		pids+=($!)
	done
	sleep 0.5
	"$WEFTCTL" --socket "$SOCK" status >/dev/null
	pod_add a
	# After their deadline (5 s) the slots free and /metrics answers.
	sleep 5.5
	get /healthz
	[ "$code" = 200 ]
	get /metrics
	[ "$code" = 200 ]
	kill "${pids[@]}" 2>/dev/null || true
	pkill -f "nc -q 30 127.0.0.1 9962" || true
}

@test "metrics: a bad --metrics-addr names the flag; a taken port stops weftd before it serves, leaving nothing" {
	run "$WEFTD" --pod-cidr 10.244.9.0/24 --metrics-addr localhost
	[ "$status" -ne 0 ]
	[[ $output == *"--metrics-addr"*"IPV4:PORT"* ]]
	run "$WEFTD" --pod-cidr 10.244.9.0/24 --metrics-addr 10.0.0.1:99999
	[ "$status" -ne 0 ]
	[[ $output == *"--metrics-addr"* ]]
	# A second weftd on the same node namespace, its own dirs, the port taken.
	local dir=$WT_DIR/second
	mkdir -p "$dir/bpffs" "$dir/state"
	run in_node "$WEFTD" --node-name second --pod-cidr 10.244.9.0/24 --state-dir "$dir/state" \
		--bpffs "$dir/bpffs" --socket "$dir/s.sock" --bpf-dir "$OUTPUT/bpf" \
		--metrics-addr "$MADDR"
	[ "$status" -ne 0 ]
	[[ $output == *"--metrics-addr $MADDR"*"in use"* ]]
	[ ! -e "$dir/s.sock" ]
	! mountpoint -q "$dir/bpffs"
	# The first one still serves.
	get /healthz
	[ "$code" = 200 ]
}
