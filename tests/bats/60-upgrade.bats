#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Live upgrades and crash recovery, single node: a sequenced UDP stream and an
# established TCP connection between two pods keep flowing, with zero loss,
# while weftd is SIGKILLed and restarted and while every endpoint's programs
# are swapped (also to a build with a changed map layout and back).

load helpers
load stream

UDP_RATE=${UDP_RATE:-20000} # packets/s; the issue asks for >= 10,000
TCP_RATE=${TCP_RATE:-2000}  # 64-byte messages/s

setup() { node_up; }

teardown() {
	stream_kill
	wt_teardown
}

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

# prog_ids: "id from/to" per endpoint, one line each
prog_ids() {
	ctl -o json endpoints | jq -r '.endpoints[] | "\(.id) \(.programs.fromPod)/\(.programs.toPod)"'
}

# ab_stream SECONDS: UDP and TCP from pod a to pod b for SECONDS, the TCP
# connection established on return.
ab_stream() {
	stream_start ab "$WT_ID-a" "$WT_ID-b" "$(pod_ip b)" "$1"
	sleep 0.5
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
	ab_stream 3
	for _ in 1 2 3; do
		run ctl upgrade
		echo "$output" >&2
		[ "$status" -eq 0 ]
		[[ $output == "upgraded 3 endpoints to "* ]]
		sleep 0.5
	done
	stream_check ab
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
	ab_stream 4
	weftd_kill9
	sleep 0.5
	weftd_start
	sleep 0.3
	weftd_kill9
	sleep 0.3
	weftd_start
	stream_check ab
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
	ab_stream 4
	run ctl upgrade --bpf-dir "$dir2"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output == *"migrated weft_endpoints layout 1 -> 2: 2 entries"* ]]
	# no program (pods' or an upgrade's placeholder) keeps the old map
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
	stream_check ab
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
	ab_stream 3
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
	stream_check ab
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
	[[ $stderr == *"upgrade refused, nothing swapped: load weft_pod.bpf.o"* ]]
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
