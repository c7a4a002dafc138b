#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Spare policy maps (daemon/policy/spares.h): weftd keeps empty policy maps in
# weft_policy_maps at the ids the next ADDs get, so neither ADD nor DEL waits
# for the kernel's grace period on a map-of-maps update. An ADD takes one and
# writes its entries into it; a DEL empties its map and leaves it as a spare;
# a restart adopts the spares; a spare is empty, so it allows nothing.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }
spares() { ctl -o json status | jq -r ".policy.spareMaps.$1"; }

# wait_spares N: until at least N spares are ready and nothing is queued (5 s
# at most). The pool tops up to 16; a DEL's map comes on top.
wait_spares() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(spares ready) -ge $1 && $(spares queued) -eq 0 ]] && return 0
		sleep 0.05
	done
	ctl -o json status | jq .policy.spareMaps >&2
	return 1
}

# slots: "id inner-map-id" of every slot of weft_policy_maps, by id
slots() {
	bpftool -j map dump pinned "$BPFFS/weft_policy_maps" |
		jq -r '.[] | "\(.key[0:4] | map(ltrimstr("0x")) | reverse | join("")) \(.inner_map_id)"' |
		while read -r k m; do echo "$((16#$k)) $m"; done | sort -n
}

map_len() { bpftool -j map dump id "$1" | jq length; }

ep_id() { ctl -o json endpoints | jq -r --arg c "cid-$WT_ID-$1" '.endpoints[] | select(.containerID == $c) | .id'; }

@test "weftd keeps 16 empty maps ready; ADDs take them, write into them in place, and none waits" {
	wait_spares 16
	slots >"$WT_DIR/before"
	[ "$(wc -l <"$WT_DIR/before")" -eq 16 ]
	while read -r id m; do
		[ "$(map_len "$m")" -eq 0 ]
	done <"$WT_DIR/before"
	pod_add a
	pod_add b
	pod_add c
	[ "$(spares taken)" -eq 3 ]
	[ "$(spares missed)" -eq 0 ]
	# each pod got a spare's id, and its entries went into that very map
	local p id m
	for p in a b c; do
		id=$(ep_id "$p")
		m=$(awk -v i="$id" '$1 == i { print $2 }' "$WT_DIR/before")
		[ -n "$m" ]
		[ "$(slots | awk -v i="$id" '$1 == i { print $2 }')" = "$m" ]
		[ "$(map_len "$m")" -gt 0 ]
	done
	# the pool is topped up again, at ids no endpoint has
	wait_spares 16
	[ "$(slots | wc -l)" -eq 19 ]
	run in_pod a ping -c1 -W2 "$(pod_ip b)"
	[ "$status" -eq 0 ]
}

@test "a DEL empties its map and leaves it in its slot as a spare; no ADD or DEL cleared a slot" {
	wait_spares 16
	pod_add a
	local id m
	id=$(ep_id a)
	m=$(slots | awk -v i="$id" '$1 == i { print $2 }')
	[ "$(map_len "$m")" -gt 0 ]
	pod_del a
	[ "$status" -eq 0 ]
	# the same map, in the same slot, empty: it allows nothing
	[ "$(slots | awk -v i="$id" '$1 == i { print $2 }')" = "$m" ]
	[ "$(map_len "$m")" -eq 0 ]
	[ "$(spares given)" -eq 1 ]
	wait_spares 16
	[ "$(slots | wc -l)" -eq "$(spares ready)" ]
	# nothing else of a is left (the spare is the pool's, not a's)
	[ "$(host_veths_count)" -eq 0 ]
	[ "$(pins_count)" -eq 0 ]
	[ "$(endpoint_map_count)" -eq 0 ]
	[ "$(veth_entry_count)" -eq 0 ]
	[ "$(policy_slot_count)" -eq 0 ]
	[ "$(policy_maps_in_use)" -eq 0 ]
}

@test "a restart adopts the spares: the same maps stay in their slots, none is removed" {
	wait_spares 16
	pod_add a
	pod_del a
	wait_spares 17
	slots >"$WT_DIR/before"
	weftd_stop
	weftd_start
	wait_spares 17
	grep -q "17 spare policy maps adopted" "$WT_DIR/weftd.log"
	slots | diff "$WT_DIR/before" -
	# and the next pod takes one of them
	pod_add b
	[ "$(spares taken)" -eq 1 ]
	[ "$(spares missed)" -eq 0 ]
	grep -qx "$(ep_id b) .*" "$WT_DIR/before"
}

@test "CNI GC keeps the spares and removes a stray policy map no endpoint has" {
	wait_spares 16
	pod_add a
	wait_spares 16
	slots >"$WT_DIR/before"
	# a map with an entry at a free id: what a crash mid-ADD could leave
	local stray=4000 conf
	bpftool map create "$BPFFS/stray" type hash key 12 value 8 entries 16 name stray flags 1
	bpftool map update pinned "$BPFFS/stray" key hex 00 00 00 00 00 00 00 00 00 00 00 00 \
		value hex 01 00 00 00 00 00 00 00
	bpftool map update pinned "$BPFFS/weft_policy_maps" key $((stray & 255)) $((stray >> 8)) 0 0 \
		value pinned "$BPFFS/stray"
	rm -f "$BPFFS/stray"
	[ -n "$(slots | awk -v i="$stray" '$1 == i')" ]
	conf=$(jq --arg keep "cid-$WT_ID-a" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: $keep, ifname: "eth0"}]}' \
		<<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	[ "$status" -eq 0 ]
	[ -z "$(slots | awk -v i="$stray" '$1 == i')" ]
	slots | diff "$WT_DIR/before" -
}
