#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's socket: every request validated, nothing a client sends crashes or
# stalls the daemon, only root may talk to it.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

# req JSON: one raw request, the reply in $output
req() {
	run bash -c 'printf "%s\n" "$1" | timeout 5 nc -U -q 2 "$2"' _ "$1" "$SOCK"
}

alive() {
	"$WEFTCTL" --socket "$SOCK" status >/dev/null
	kill -0 "$(cat "$WT_DIR/weftd.pid")"
}

@test "malformed requests get an error naming the field; weftd keeps serving" {
	req 'this is not json'
	[ "$(jq -r .ok <<<"$output")" = false ]
	req '[1,2,3]'
	[ "$(jq -r .ok <<<"$output")" = false ]
	req '{"op": "no.such.op"}'
	[ "$(jq -r .ok <<<"$output")" = false ]
	[[ $(jq -r .error.details <<<"$output") == *op* ]]
	req '{"op": "ipam.allocate", "ifname": "eth0"}'
	[[ $(jq -r .error.details <<<"$output") == *containerID* ]]
	req '{"op": "ipam.allocate", "containerID": "../../etc", "ifname": "eth0"}'
	[[ $(jq -r .error.details <<<"$output") == *containerID* ]]
	req '{"op": "ipam.allocate", "containerID": "abc", "ifname": 7}'
	[[ $(jq -r .error.details <<<"$output") == *ifname* ]]
	req '{"op": "endpoint.add", "containerID": "abc", "ifname": "eth0", "netns": "/x", "hostIfname": "wftnope", "podMAC": "zz", "ips": ["10.244.1.9"]}'
	[ "$(jq -r .ok <<<"$output")" = false ]
	req '{"op": "endpoint.add", "containerID": "abc", "ifname": "eth0", "netns": "/x", "hostIfname": "lo", "podMAC": "02:00:00:00:00:01", "ips": ["999.1.1.1"]}'
	[[ $(jq -r .error.details <<<"$output") == *ips* ]]
	alive
	assert_nothing_left
}

@test "an oversized request is refused and weftd keeps serving" {
	run bash -c 'head -c 400000 /dev/zero | tr "\0" "a" | timeout 5 nc -U -q 2 "$1"' _ "$SOCK"
	alive
}

@test "a client that connects and says nothing does not block others" {
	# three silent clients hold connections open
	for i in 1 2 3; do
		(sleep 8 | nc -U "$SOCK" >/dev/null 2>&1) &
	done
	sleep 0.2
	local t0 t1
	t0=$(date +%s%N)
	pod_add a
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]
	alive
	kill %1 %2 %3 2>/dev/null || true
}

@test "the socket is root-only" {
	[ "$(stat -c %a "$SOCK")" = 600 ]
	run setpriv --reuid 65534 --regid 65534 --clear-groups "$WEFTCTL" --socket "$SOCK" status
	[ "$status" -ne 0 ]
	alive
}

@test "a second weftd on the same state dir or socket refuses to start" {
	run timeout 5 nsenter --net="$NODE_NS" "$WEFTD" --pod-cidr "$POD_CIDR" --state-dir "$STATE" \
		--bpffs "$BPFFS" --socket "$WT_DIR/other.sock" --bpf-dir "$OUTPUT/bpf"
	[ "$status" -ne 0 ]
	[[ $output == *"$STATE"* ]]
	run timeout 5 nsenter --net="$NODE_NS" "$WEFTD" --pod-cidr "$POD_CIDR" --state-dir "$WT_DIR/other-state" \
		--bpffs "$BPFFS" --socket "$SOCK" --bpf-dir "$OUTPUT/bpf"
	[ "$status" -ne 0 ]
	[[ $output == *"$SOCK"* ]]
	alive
}

@test "weftd rejects bad flags with a message naming the flag" {
	run "$WEFTD" --pod-cidr 10.1.0.0/33 --state-dir "$WT_DIR/x" --socket "$WT_DIR/x.sock" --bpffs "$BPFFS"
	[ "$status" -ne 0 ]
	[[ $output == *pod-cidr* ]]
	run "$WEFTD" --log-level loud
	[ "$status" -ne 0 ]
	[[ $output == *log-level* ]]
	run "$WEFTD" --mtu 40
	[ "$status" -ne 0 ]
	[[ $output == *mtu* ]]
	# a flag weftd no longer has (the veth pool) is refused, not ignored
	run "$WEFTD" --veth-pool 8
	[ "$status" -ne 0 ]
	[[ $output == *veth-pool* ]]
	run "$WEFTD" --help
	[ "$status" -eq 0 ]
	[[ $output == *--bpffs* ]]
}

@test "a weftd whose start fails undoes the bpffs it mounted and serves nothing" {
	local dir=$WT_DIR/refused
	run in_node timeout 10 "$WEFTD" --pod-cidr 10.9.0.0/24 --state-dir "$dir/state" \
		--bpffs "$dir/bpffs" --socket "$dir/weftd.sock" --bpf-dir "$dir/no-such-dir"
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ $output == *"$dir/no-such-dir"* ]]
	[[ $output == *"mounted a bpf filesystem"* ]] || [[ $output == *bpffs* ]]
	# The mount it made is gone, and no socket was left to answer.
	[ -z "$(awk -v d="$dir/" 'index($2, d) == 1' /proc/mounts)" ]
	[ ! -e "$dir/weftd.sock" ]
}
