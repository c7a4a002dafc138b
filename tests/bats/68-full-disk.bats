#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's state dir on a small tmpfs that fills up: an ADD fails with an
# error that names the full state dir (ENOSPC and the path) and leaves
# nothing (no veth, address, pin, map entry or file); running pods keep
# working; once there is room again the next ADD works, without a restart.

load helpers

setup() {
	node_setup
	# 256 KiB: a few dozen records (tmpfs counts a page per small file)
	mount -t tmpfs -o size=256k,mode=0700 weft-state "$STATE"
	weftd_start
}

teardown() { wt_teardown; }

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

# fill: write to $STATE/fill-N until the file system has no page left
fill() {
	local i=0
	while dd if=/dev/zero of="$STATE/fill-$i" bs=4k count=1 status=none 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 1000 ] || return 1
	done
	rm -f "$STATE/fill-$i"
	[ "$(df --output=avail "$STATE" | tail -1)" -eq 0 ]
}

state_files() {
	find "$STATE" -type f ! -name 'fill-*' ! -name weftd.lock | sort
}

@test "full state dir: ADD fails naming it, leaves nothing; pods keep working; room again, ADD works" {
	pod_add a
	pod_add b
	local before pins maps
	fill
	before=$(state_files)
	pins=$(pins_count) maps=$(endpoint_map_count)

	pod_netns_add c >/dev/null
	cni ADD "cid-$WT_ID-c" "/run/netns/$WT_ID-c" eth0
	echo "$output" >&2
	[ "$status" -ne 0 ]
	jq -e '.msg | test("state dir is full")' <<<"$output"
	jq -e --arg p "$STATE/ipam" '.details | contains($p) and contains("No space left on device")' \
		<<<"$output"
	# nothing of c: no veth, address, pin, map entry, file (not even a temp one)
	[ "$(host_veths_count)" -eq 2 ]
	[ "$(ipam_count)" -eq 2 ]
	[ "$(pins_count)" -eq "$pins" ]
	[ "$(endpoint_map_count)" -eq "$maps" ]
	[ "$(state_files)" = "$before" ]
	run in_pod c ip link show eth0
	[ "$status" -ne 0 ]
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 2 ]
	# running pods keep working
	in_pod a ping -c 2 -i 0.2 -W 2 "$(pod_ip b)"
	in_pod b ping -c 2 -i 0.2 -W 2 "$(pod_ip a)"

	# room again: the next ADD works, same weftd
	local pid=$WEFTD_PID
	rm -f "$STATE"/fill-*
	pod_add c
	[ "$WEFTD_PID" = "$pid" ] && kill -0 "$pid"
	in_pod c ping -c 2 -i 0.2 -W 2 "$(pod_ip a)"
	pod_del a
	pod_del b
	pod_del c
	assert_nothing_left
}

@test "state dir full after the address is recorded: the endpoint record fails, the ADD leaves nothing" {
	pod_add a
	fill
	# exactly one page free: the address record fits, the endpoint record
	# (and the round-robin hint, a hint) does not
	rm -f "$STATE/fill-0"
	local before pins maps
	before=$(state_files)
	pins=$(pins_count) maps=$(endpoint_map_count)
	pod_netns_add c >/dev/null
	cni ADD "cid-$WT_ID-c" "/run/netns/$WT_ID-c" eth0
	echo "$output" >&2
	[ "$status" -ne 0 ]
	jq -e '(.msg + " " + .details) | test("No space left on device")' <<<"$output"
	[ "$(host_veths_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	[ "$(pins_count)" -eq "$pins" ]
	[ "$(endpoint_map_count)" -eq "$maps" ]
	[ "$(state_files)" = "$before" ]
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	rm -f "$STATE"/fill-*
	pod_add c
	in_pod c ping -c 2 -i 0.2 -W 2 "$(pod_ip a)"
	pod_del a
	pod_del c
	assert_nothing_left
}
