#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Live upgrades and crash recovery on a 2-node cluster (tests/bats/cluster.bash):
# pods a and b on node 1, c on node 2. A sequenced UDP stream and an
# established TCP connection run same-node (a -> b) and cross-node through the
# VXLAN overlay (a -> c), with zero loss and no reset, while one node's weftd
# is SIGKILLed and restarted, while `weftctl upgrade` swaps every endpoint's
# and the overlay's programs on both nodes, and while both nodes go to a
# build with a changed map layout and back.

load helpers
load cluster
load stream

UDP_RATE=${UDP_RATE:-10000} # packets/s per stream; the issue asks for >= 10,000
TCP_RATE=${TCP_RATE:-2000}  # 64-byte messages/s per connection

setup() {
	cluster_up 2
	cluster_pod_add 1 a
	cluster_pod_add 1 b
	cluster_pod_add 2 c
}

teardown() {
	stream_kill
	wt_teardown
}

# both_streams SECONDS: same-node a -> b and cross-node a -> c, with the TCP
# connections established before the caller does anything.
both_streams() {
	stream_start same "$WT_ID-p-a" "$WT_ID-p-b" "$(pod_ip b)" "$1"
	stream_start cross "$WT_ID-p-a" "$WT_ID-p-c" "$(pod_ip c)" "$1"
	sleep 0.5
}

# --- what runs ----------------------------------------------------------------

# prog_ids NODE: "id from/to" per endpoint of NODE, one line each.
prog_ids() {
	cl_weftctl "$1" -o json endpoints |
		jq -r '.endpoints[] | "\(.id) \(.programs.fromPod)/\(.programs.toPod)"' | sort
}

# overlay_prog NODE LINK: the id of the program behind node NODE's pinned
# overlay link LINK (from_overlay, to_overlay).
overlay_prog() {
	bpftool -j link show pinned "$(cl_node_dir "$1")/bpffs/overlay/$2" | jq -r .prog_id
}

# overlay_progs NODE: both, on one line.
overlay_progs() {
	echo "$(overlay_prog "$1" from_overlay) $(overlay_prog "$1" to_overlay)"
}

# prog_maps ID: the ids of the maps program ID uses, one per line.
prog_maps() {
	bpftool -j prog show id "$1" | jq -r '.map_ids[]?' | sort -n
}

# pinned_map_id NODE NAME: the id of the map pinned as NAME on node NODE.
pinned_map_id() {
	bpftool -j map show pinned "$(cl_node_dir "$1")/bpffs/$2" | jq -r .id
}

# overlay_uses NODE ENDPOINTS_MAP: node NODE's overlay programs use the
# pinned shared maps of the running layout: from_overlay its endpoints map
# (ENDPOINTS_MAP, versioned) and weft_ipcache, to_overlay weft_ipcache; both
# count into weft_metrics.
overlay_uses() {
	local i=$1 link m id
	for link in from_overlay to_overlay; do
		for m in weft_ipcache weft_metrics $([[ $link == from_overlay ]] && echo "$2"); do
			id=$(pinned_map_id "$i" "$m")
			prog_maps "$(overlay_prog "$i" "$link")" | grep -qx "$id" || {
				echo "node $i $link (prog $(overlay_prog "$i" $link)) does not use $m (map $id)" >&2
				return 1
			}
		done
	done
}

# the overlay's kernel state that must outlive weftd: device, routes, nft table
overlay_state() {
	in_cl_node "$1" ip -j -d link show dev weft_vxlan | jq -c '.[0] | [.ifindex, .mtu, .linkinfo.info_kind]'
	in_cl_node "$1" ip route show proto 87
	in_cl_node "$1" nft list table ip weft | grep -c .
}

# upgrade NODE [DIR]: weftctl upgrade on NODE (to DIR), its report kept in
# UPGRADE_OUT; the time it took is printed for the figures.
upgrade() {
	local i=$1
	shift
	run cl_weftctl "$i" upgrade ${1:+--bpf-dir "$1"}
	echo "node $i: $output" >&2
	[ "$status" -eq 0 ]
	UPGRADE_OUT=$output
}

# A build of the same sources with a changed weft_endpoints value layout.
build_layout2() {
	make -s -C "$WEFT_SRC" OUTPUT="$WT_DIR/layout2" BPF_EXTRA_CFLAGS=-DWEFT_TEST_LAYOUT=2 bpf \
		>"$WT_DIR/make.log" 2>&1 || { cat "$WT_DIR/make.log" >&2; return 1; }
	echo "$WT_DIR/layout2/bpf"
}

# --- tests --------------------------------------------------------------------

@test "weftd SIGKILLed on one node, then the other: same-node and cross-node streams lose nothing" {
	local ids1 ids2 ov1 ov2 st1 st2
	ids1=$(prog_ids 1)
	ids2=$(prog_ids 2)
	st1=$(overlay_state 1)
	st2=$(overlay_state 2)
	both_streams 5
	cluster_weftd_kill9 1
	# node 1's weftd is gone; its device, routes and nft table stay and
	# the other node runs on
	sleep 1
	[ "$(overlay_state 1)" = "$st1" ]
	cl_weftctl 2 status >/dev/null
	run cl_weftctl 1 status
	[ "$status" -ne 0 ]
	cluster_weftd_start 1
	sleep 0.5
	cluster_weftd_kill9 2
	sleep 1
	[ "$(overlay_state 2)" = "$st2" ]
	cluster_weftd_start 2
	stream_check same
	stream_check cross
	# adopted, not re-created: the same endpoint programs, the same device
	[ "$(prog_ids 1)" = "$ids1" ]
	[ "$(prog_ids 2)" = "$ids2" ]
	[ "$(overlay_state 1)" = "$st1" ]
	[ "$(overlay_state 2)" = "$st2" ]
	ov1=$(overlay_progs 1)
	ov2=$(overlay_progs 2)
	[[ $ov1 != *null* && $ov2 != *null* ]]
	in_cl_pod c ping -c 1 -W 1 "$(pod_ip b)"
}

@test "weftctl upgrade on both nodes: endpoints' and overlay's programs swapped, no loss" {
	local ids1 ids2 ov1 ov2 i t0
	ids1=$(prog_ids 1)
	ids2=$(prog_ids 2)
	ov1=$(overlay_progs 1)
	ov2=$(overlay_progs 2)
	both_streams 3
	for _ in 1 2; do
		t0=$(now_ms)
		upgrade 1
		[[ $UPGRADE_OUT == "upgraded 2 endpoints to "* ]]
		upgrade 2
		[[ $UPGRADE_OUT == "upgraded 1 endpoints to "* ]]
		echo "both nodes upgraded in $(($(now_ms) - t0)) ms" >&2
		sleep 0.4
	done
	stream_check same
	stream_check cross
	# every endpoint and both overlay links run programs loaded since
	[ "$(comm -12 <(echo "$ids1") <(prog_ids 1) | grep -c .)" -eq 0 ]
	[ "$(comm -12 <(echo "$ids2") <(prog_ids 2) | grep -c .)" -eq 0 ]
	for i in 1 2; do
		local before now
		[ "$i" -eq 1 ] && before=$ov1 || before=$ov2
		now=$(overlay_progs "$i")
		echo "node $i overlay programs: $before -> $now" >&2
		[ "${now% *}" != "${before% *}" ]
		[ "${now#* }" != "${before#* }" ]
		[[ $now != *null* ]]
		# the names of the object's programs, on the shared maps
		[ "$(bpftool -j prog show id "${now% *}" | jq -r .name)" = weft_from_overlay ]
		[ "$(bpftool -j prog show id "${now#* }" | jq -r .name)" = weft_to_overlay ]
		overlay_uses "$i" weft_endpoints
		# the old ones are gone: nothing holds them once unpinned
		run bpftool prog show id "${before% *}"
		[ "$status" -ne 0 ]
	done
	in_cl_pod c ping -c 1 -W 1 "$(pod_ip b)"
}

@test "both nodes to a changed map layout and back under cross-node traffic: entries migrated, no loss" {
	local dir2 old1 old2 ov i
	dir2=$(build_layout2)
	old1=$(pinned_map_id 1 weft_endpoints)
	old2=$(pinned_map_id 2 weft_endpoints)
	ov=$(overlay_progs 1)
	both_streams 5
	upgrade 1 "$dir2"
	[[ $UPGRADE_OUT == *"migrated weft_endpoints layout 1 -> 2: 2 entries"* ]]
	# node 1 on layout 2, node 2 on layout 1: the wire does not change
	sleep 0.3
	upgrade 2 "$dir2"
	[[ $UPGRADE_OUT == *"migrated weft_endpoints layout 1 -> 2: 1 entries"* ]]
	for i in 1 2; do
		run cl_weftctl "$i" -o json status
		[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 2 ]
		[ ! -e "$(cl_node_dir "$i")/bpffs/weft_endpoints" ]
		[ "$(bpftool -j map show pinned "$(cl_node_dir "$i")/bpffs/weft_endpoints_v2" | jq .bytes_value)" -eq 40 ]
		# the overlay's programs are the new object's: they use the new map
		overlay_uses "$i" weft_endpoints_v2
	done
	[ "$(bpftool -j map dump pinned "$(cl_node_dir 1)/bpffs/weft_endpoints_v2" | jq length)" -eq 2 ]
	[ "$(bpftool -j map dump pinned "$(cl_node_dir 2)/bpffs/weft_endpoints_v2" | jq length)" -eq 1 ]
	[ "$(overlay_progs 1)" != "$ov" ]
	# weftd writes the running layout's map, which node 1's from_overlay
	# reads: a pod added now is reachable from the other node
	cluster_pod_add 1 d
	[ "$(bpftool -j map dump pinned "$(cl_node_dir 1)/bpffs/weft_endpoints_v2" | jq length)" -eq 3 ]
	wait_until 2000 in_cl_pod c ping -c 1 -W 0.3 -q "$(pod_ip d)"
	upgrade 2
	[[ $UPGRADE_OUT == *"migrated weft_endpoints layout 2 -> 1: 1 entries"* ]]
	sleep 0.3
	upgrade 1
	[[ $UPGRADE_OUT == *"migrated weft_endpoints layout 2 -> 1: 3 entries"* ]]
	stream_check same
	stream_check cross
	for i in 1 2; do
		run cl_weftctl "$i" -o json status
		[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 1 ]
		[ ! -e "$(cl_node_dir "$i")/bpffs/weft_endpoints_v2" ]
		overlay_uses "$i" weft_endpoints
	done
	# layout 1 again is a new map, and no program keeps the first one
	[ "$(pinned_map_id 1 weft_endpoints)" != "$old1" ]
	[ "$(pinned_map_id 2 weft_endpoints)" != "$old2" ]
	for _ in $(seq 40); do
		bpftool map show id "$old1" >/dev/null 2>&1 || bpftool map show id "$old2" >/dev/null 2>&1 || break
		sleep 0.05
	done
	run bpftool map show id "$old1"
	[ "$status" -ne 0 ]
	run bpftool map show id "$old2"
	[ "$status" -ne 0 ]
	# a new pod lands in the running layout's map, reachable across nodes
	# both ways
	cluster_pod_add 2 e
	wait_until 2000 in_cl_pod d ping -c 1 -W 0.3 -q "$(pod_ip e)"
	in_cl_pod e ping -c 1 -W 1 "$(pod_ip b)"
}

@test "weftd SIGKILLed after an upgrade to another build: its start puts its own object back on both nodes' paths" {
	local dir2 ids
	dir2=$(build_layout2)
	upgrade 1 "$dir2"
	overlay_uses 1 weft_endpoints_v2
	both_streams 3
	cluster_weftd_kill9 1
	sleep 0.3
	# --bpf-dir is still the layout 1 build: the start upgrades back,
	# endpoints and overlay, before it serves
	cluster_weftd_start 1
	run cl_weftctl 1 -o json status
	echo "$output" >&2
	[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 1 ]
	[ "$(jq -r '.datapath.error // "none"' <<<"$output")" = none ]
	[ ! -e "$(cl_node_dir 1)/bpffs/weft_endpoints_v2" ]
	overlay_uses 1 weft_endpoints
	grep -q 'not what runs.*upgrading' "$(cl_node_dir 1)/weftd.log"
	ids=$(prog_ids 1)
	stream_check same
	stream_check cross
	[ "$(prog_ids 1)" = "$ids" ]
	[ "$(bpftool -j map dump pinned "$(cl_node_dir 1)/bpffs/weft_endpoints" | jq length)" -eq 2 ]
}

# restart_rejected DIR: node 1's weftd restarted with --bpf-dir DIR, whose pod
# object the verifier refuses: it serves, with the reason in datapath.error.
restart_rejected() {
	cluster_weftd_stop 1
	run cluster_weftd_start 1 --bpf-dir "$1"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	run cl_weftctl 1 -o json status
	echo "$output" >&2
	[[ $(jq -r '.datapath.error // "none"' <<<"$output") == *"upgrade refused, nothing swapped${2:-}"* ]]
}

@test "weftd started with a refused build on a node: it serves, old programs and overlay keep running" {
	local ids ov bad=$WT_DIR/bad half=$WT_DIR/half dir2
	ids=$(prog_ids 1)
	ov=$(overlay_progs 1)
	# a build whose pod object is refused and whose overlay object loads
	mkdir "$bad" "$half"
	cp "$OUTPUT/tests/bpf/reject/weft_pod.bpf.o" "$OUTPUT/bpf/weft_overlay.bpf.o" "$bad/"
	# and one whose pod object loads (with another map layout) and whose
	# overlay object is missing: all or nothing at start too
	dir2=$(build_layout2)
	cp "$dir2/weft_pod.bpf.o" "$half/"
	both_streams 4
	# the refused object alone (no overlay object), then the whole build
	restart_rejected "$OUTPUT/tests/bpf/reject"
	restart_rejected "$bad"
	restart_rejected "$half" ": the overlay programs in $half do not load"
	[ ! -e "$(cl_node_dir 1)/bpffs/weft_endpoints_v2" ]
	# nothing of the refused build runs: not on the endpoints, not on the
	# overlay device
	[ "$(prog_ids 1)" = "$ids" ]
	[ "$(overlay_progs 1)" = "$ov" ]
	grep -q 'the start-up upgrade failed: the running programs stay' "$(cl_node_dir 1)/weftd.log"
	stream_check same
	stream_check cross
	# and a restart with a good object clears it
	cluster_weftd_stop 1
	cluster_weftd_start 1
	run cl_weftctl 1 -o json status
	[ "$(jq -r '.datapath.error // "none"' <<<"$output")" = none ]
	in_cl_pod c ping -c 1 -W 1 "$(pod_ip a)"
}

@test "upgrade to a build without a usable overlay object: refused, nothing swapped, no new map left" {
	local dir2 ids ov half=$WT_DIR/half
	dir2=$(build_layout2)
	ids=$(prog_ids 1)
	ov=$(overlay_progs 1)
	# the changed-layout pod object alone: its new map is created before
	# the overlay object is found missing
	mkdir "$half"
	cp "$dir2/weft_pod.bpf.o" "$half/"
	run --separate-stderr cl_weftctl 1 upgrade --bpf-dir "$half"
	echo "$stderr" >&2
	[ "$status" -ne 0 ]
	[[ $stderr == *"upgrade refused, nothing swapped: the overlay programs in $half do not load"* ]]
	[[ $stderr == *weft_overlay.bpf.o* ]]
	[ "$(prog_ids 1)" = "$ids" ]
	[ "$(overlay_progs 1)" = "$ov" ]
	[ ! -e "$(cl_node_dir 1)/bpffs/weft_endpoints_v2" ]
	run cl_weftctl 1 -o json status
	[ "$(jq .datapath.layouts.weft_endpoints <<<"$output")" -eq 1 ]
	in_cl_pod a ping -c 1 -W 1 "$(pod_ip c)"
}
