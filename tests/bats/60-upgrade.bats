#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Live upgrades and crash recovery, single node: a sequenced UDP stream and an
# established TCP connection between two pods keep flowing, with zero loss,
# while weftd is SIGKILLed and restarted and while every endpoint's programs
# are swapped (also to a build with a changed map layout and back).

load helpers

SEQ=$OUTPUT/tests/tools/seqstream
UDP_RATE=${UDP_RATE:-20000} # packets/s; the issue asks for >= 10,000
TCP_RATE=${TCP_RATE:-2000}  # 64-byte messages/s

setup() {
	node_setup
	weftd_start
}

teardown() {
	stream_kill
	node_teardown
}

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

# prog_ids: "id from/to" per endpoint, one line each
prog_ids() {
	ctl -o json endpoints | jq -r '.endpoints[] | "\(.id) \(.programs.fromPod)/\(.programs.toPod)"'
}

# stream_start SECONDS: UDP and TCP from pod a to pod b for SECONDS. seqstream
# is started by nsenter (which execs it), so the pids are its own; their
# output goes to files so bats does not wait on them.
stream_start() {
	local secs=$1 ip
	ip=$(pod_ip b)
	nsenter --net="/run/netns/$WT_ID-b" "$SEQ" udp-recv 5001 >"$WT_DIR/udp-recv.json" 2>&1 3>&- &
	UDP_RECV=$!
	nsenter --net="/run/netns/$WT_ID-b" "$SEQ" tcp-recv 5002 >"$WT_DIR/tcp-recv.json" 2>&1 3>&- &
	TCP_RECV=$!
	sleep 0.3
	nsenter --net="/run/netns/$WT_ID-a" "$SEQ" udp-send "$ip" 5001 "$UDP_RATE" "$secs" \
		>"$WT_DIR/udp-send.json" 2>&1 3>&- &
	UDP_SEND=$!
	nsenter --net="/run/netns/$WT_ID-a" "$SEQ" tcp-send "$ip" 5002 "$TCP_RATE" "$secs" \
		>"$WT_DIR/tcp-send.json" 2>&1 3>&- &
	TCP_SEND=$!
	# the TCP connection is established before anything else happens
	sleep 0.5
}

stream_kill() {
	local p
	for p in ${UDP_SEND:-} ${TCP_SEND:-} ${UDP_RECV:-} ${TCP_RECV:-}; do
		kill "$p" 2>/dev/null || true
	done
}

# stream_check: wait for the senders, stop the UDP receiver, and require every
# UDP datagram and every TCP message to have arrived, in a live connection.
stream_check() {
	local rc_udp=0 rc_tcp=0 sent got
	wait "$UDP_SEND" || rc_udp=$?
	wait "$TCP_SEND" || rc_tcp=$?
	wait "$TCP_RECV" || rc_tcp=$?
	sleep 0.3
	kill -TERM "$UDP_RECV"
	wait "$UDP_RECV" || rc_udp=$?
	UDP_SEND='' TCP_SEND='' UDP_RECV='' TCP_RECV=''
	echo "udp sent: $(cat "$WT_DIR/udp-send.json") received: $(cat "$WT_DIR/udp-recv.json")" >&2
	echo "tcp sent: $(cat "$WT_DIR/tcp-send.json") received: $(cat "$WT_DIR/tcp-recv.json")" >&2
	[ "$rc_udp" -eq 0 ]
	[ "$rc_tcp" -eq 0 ]
	sent=$(jq .sent "$WT_DIR/udp-send.json")
	got=$(jq .received "$WT_DIR/udp-recv.json")
	[ "$sent" -ge "$UDP_RATE" ]
	[ "$got" -eq "$sent" ]
	[ "$(jq .missing "$WT_DIR/udp-recv.json")" -eq 0 ]
	[ "$(jq .duplicates "$WT_DIR/udp-recv.json")" -eq 0 ]
	sent=$(jq .sent "$WT_DIR/tcp-send.json")
	[ "$(jq .ok "$WT_DIR/tcp-send.json")" = true ]
	[ "$(jq .ok "$WT_DIR/tcp-recv.json")" = true ]
	[ "$(jq .received "$WT_DIR/tcp-recv.json")" -eq "$sent" ]
}

# A build of the same sources with a changed weft_endpoints value layout.
build_layout2() {
	make -s -C "$WEFT_SRC" OUTPUT="$WT_DIR/layout2" BPF_EXTRA_CFLAGS=-DWEFT_TEST_LAYOUT=2 bpf \
		>"$WT_DIR/make.log" 2>&1 || { cat "$WT_DIR/make.log" >&2; return 1; }
	echo "$WT_DIR/layout2/bpf"
}

value_size() {
	bpftool -j map show pinned "$1" | jq .bytes_value
}

@test "weftctl upgrade swaps every endpoint's programs: no UDP loss, TCP survives" {
	pod_add a
	pod_add b
	pod_add c
	before=$(prog_ids)
	stream_start 3
	for _ in 1 2 3; do
		run ctl upgrade
		echo "$output" >&2
		[ "$status" -eq 0 ]
		[[ $output == "upgraded 3 endpoints to "* ]]
		sleep 0.5
	done
	stream_check
	after=$(prog_ids)
	# every endpoint runs new programs, and the object hash is shown
	[ "$(comm -12 <(sort <<<"$before") <(sort <<<"$after") | grep -c .)" -eq 0 ]
	run ctl -o json endpoints
	[ "$(jq -r '[.endpoints[] | .attached and (.programs.object | length == 16)] | all' <<<"$output")" = true ]
	run ctl endpoints
	[[ $output == *PROGRAMS* ]]
	pod_del a
	pod_del b
	pod_del c
	assert_nothing_left
}

@test "weftd SIGKILLed and restarted twice under traffic: no UDP loss, TCP survives" {
	pod_add a
	pod_add b
	before=$(prog_ids)
	stream_start 4
	weftd_kill9
	sleep 0.5
	weftd_start
	sleep 0.3
	weftd_kill9
	sleep 0.3
	weftd_start
	stream_check
	# adopted, not re-created: the same programs still run
	[ "$(prog_ids)" = "$before" ]
	run ctl -o json endpoints
	[ "$(jq -r '[.endpoints[].attached] | all' <<<"$output")" = true ]
	pod_del a
	pod_del b
	assert_nothing_left
}

@test "upgrade to a changed map layout and back under traffic: entries migrated, no loss" {
	dir2=$(build_layout2)
	pod_add a
	pod_add b
	[ "$(value_size "$BPFFS/weft_endpoints")" -eq 32 ]
	old_id=$(bpftool -j map show pinned "$BPFFS/weft_endpoints" | jq .id)
	stream_start 4
	run ctl upgrade --bpf-dir "$dir2"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output == *"migrated weft_endpoints layout 1 -> 2: 2 entries"* ]]
	# no program (pods' or the veth pool's placeholder) keeps the old map
	for _ in $(seq 40); do
		bpftool map show id "$old_id" >/dev/null 2>&1 || break
		sleep 0.05
	done
	run bpftool map show id "$old_id"
	[ "$status" -ne 0 ]
	# the new map has the entries and the wider value, the old one is gone
	[ ! -e "$BPFFS/weft_endpoints" ]
	[ "$(value_size "$BPFFS/weft_endpoints_v2")" -eq 40 ]
	[ "$(bpftool -j map dump pinned "$BPFFS/weft_endpoints_v2" | jq length)" -eq 2 ]
	run ctl -o json status
	[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 2 ]
	sleep 0.5
	run ctl upgrade
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output == *"migrated weft_endpoints layout 2 -> 1: 2 entries"* ]]
	stream_check
	[ ! -e "$BPFFS/weft_endpoints_v2" ]
	[ "$(endpoint_map_count)" -eq 2 ]
	# weftd writes the map of the running layout: a new pod lands in it
	pod_add c
	[ "$(endpoint_map_count)" -eq 3 ]
	in_pod a ping -c 1 -W 2 "$(pod_ip c)"
	pod_del a
	pod_del b
	pod_del c
	assert_nothing_left
}

@test "weftd start upgrades when the object on disk is not what runs" {
	dir2=$(build_layout2)
	pod_add a
	pod_add b
	old_hash=$(ctl -o json status | jq -r .datapath.objectHash)
	weftd_stop
	stream_start 3
	weftd_start --bpf-dir "$dir2"
	run ctl -o json status
	echo "$output" >&2
	new_hash=$(jq -r .datapath.objectHash <<<"$output")
	[ "$new_hash" != "$old_hash" ]
	[ "$new_hash" = "$(jq -r .datapath.loadedHash <<<"$output")" ]
	[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 2 ]
	[ "$(jq -r '.datapath.error // "none"' <<<"$output")" = none ]
	[ "$(ctl -o json endpoints | jq -r --arg h "$new_hash" '[.endpoints[].programs.object == $h] | all')" = true ]
	# the same object again: nothing to do, the programs stay
	ids=$(prog_ids)
	weftd_stop
	weftd_start --bpf-dir "$dir2"
	[ "$(prog_ids)" = "$ids" ]
	stream_check
	[ "$(bpftool -j map dump pinned "$BPFFS/weft_endpoints_v2" | jq length)" -eq 2 ]
}

@test "a verifier-rejected object: upgrade refused, old programs keep running" {
	pod_add a
	pod_add b
	before=$(prog_ids)
	hash=$(ctl -o json status | jq -r .datapath.objectHash)
	run --separate-stderr ctl upgrade --bpf-dir "$OUTPUT/tests/bpf/reject"
	echo "$stderr" >&2
	[ "$status" -ne 0 ]
	[[ $stderr == *"upgrade refused, nothing swapped: endpoint "* ]]
	[[ $stderr == *"cid-$WT_ID-"* ]]
	# the verifier's own words
	[[ $stderr == *"invalid access to packet"* || $stderr == *"invalid mem access"* ]]
	[ "$(prog_ids)" = "$before" ]
	[ "$(ctl -o json status | jq -r .datapath.objectHash)" = "$hash" ]
	in_pod a ping -c 2 -i 0.2 -W 2 "$(pod_ip b)"
	# and ADDs still work with the running object
	pod_add c
	pod_del a
	pod_del b
	pod_del c
	assert_nothing_left
}

@test "upgrade rejects a bad bpfDir with the field named and changes nothing" {
	pod_add a
	before=$(prog_ids)
	run --separate-stderr ctl upgrade --bpf-dir "$WT_DIR/nope"
	[ "$status" -ne 0 ]
	[[ $stderr == *"$WT_DIR/nope/weft_pod.bpf.o is not a usable weft BPF object"* ]]
	[[ $stderr == *bpfDir* ]]
	run --separate-stderr ctl --bpf-dir /tmp status
	[ "$status" -eq 2 ]
	[[ $stderr == *"--bpf-dir: only for upgrade"* ]]
	[ "$(prog_ids)" = "$before" ]
	pod_del a
	assert_nothing_left
}
