#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# A full shared map: ADD fails with a clear error naming the map and its size,
# code 100, and leaves nothing half-made; with room again, ADD works.

load helpers

setup() { node_up; }

teardown() { wt_teardown; }

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

map_entries() { ctl -o json status | jq ".maps.$1.entries"; }

# fill_endpoints: weft_endpoints up to its max_entries with addresses in
# 10.99.0.0/16 (never a pod's), endpoint id 0xffffffff (never weftd's).
fill_endpoints() {
	local max have
	max=$(bpftool -j map show pinned "$BPFFS/weft_endpoints" | jq .max_entries)
	have=$(map_entries weft_endpoints)
	awk -v pin="$BPFFS/weft_endpoints" -v n=$((max - have)) 'BEGIN {
		for (i = 0; i < n; i++)
			printf "map update pinned %s key 4 0 0 0 10 99 %d %d 0 0 0 0 0 0 0 0 0 0 0 0" \
				" value 0 0 0 0 255 255 255 255 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
				pin, int(i / 256), i % 256
	}' >"$WT_DIR/fill"
	bpftool batch file "$WT_DIR/fill" >/dev/null
	echo "$max"
}

@test "weft_endpoints full: ADD fails naming the map and its size, leaves nothing, works again with room" {
	# the shared maps are pinned with the first endpoint
	pod_add a
	local max
	max=$(fill_endpoints)
	[ "$(map_entries weft_endpoints)" -eq "$max" ]
	ns=$(pod_netns_add b)
	cni ADD "cid-$WT_ID-b" "/run/netns/$ns" eth0
	echo "output: $output" >&2
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 100 ]
	[[ $(jq -r '.msg + " " + .details' <<<"$output") == *"map weft_endpoints full ($max entries)"* ]]
	grep -q "map weft_endpoints full ($max entries)" "$WT_DIR/weftd.log"
	# nothing of b: one veth, one address, one endpoint, one pin directory,
	# one slot (a's); the map as full as before, b's pod side gone
	[ "$(host_veths_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(find "$BPFFS/endpoints" -mindepth 1 -maxdepth 1 | grep -c .)" -eq 1 ]
	[ "$(policy_slot_count)" -eq 1 ]
	[ "$(map_entries weft_endpoints)" -eq "$max" ]
	[ "$(policy_maps_in_use)" -eq 1 ]
	[ "$(veth_entry_count)" -eq 1 ]
	run in_pod b ip link show eth0
	[ "$status" -ne 0 ]
	ls "$STATE/endpoints" | grep -c . | grep -qx 1
	# one entry freed: b goes in
	bpftool map delete pinned "$BPFFS/weft_endpoints" key 4 0 0 0 10 99 0 0 0 0 0 0 0 0 0 0 0 0 0 0
	cni ADD "cid-$WT_ID-b" "/run/netns/$ns" eth0
	[ "$status" -eq 0 ]
	cni DEL "cid-$WT_ID-b" "/run/netns/$ns" eth0
	[ "$status" -eq 0 ]
	pod_del a
	[ "$status" -eq 0 ]
	[ "$(host_veths_count)" -eq 0 ]
	[ "$(ipam_count)" -eq 0 ]
	[ "$(pins_count)" -eq 0 ]
	[ "$(policy_slot_count)" -eq 0 ]
}
