#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Crash recovery, single node: DEL and ADD while weftd is down, and weftd
# SIGKILLed at random points during ADDs and DELs, then restarted and GC'd:
# no veth, IP, pin, map entry or prog array slot may be left over.

load helpers

setup() { node_up; }

teardown() {
	[[ -n ${KILLER:-} ]] && kill "$KILLER" 2>/dev/null
	wt_teardown
}

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

pending_count() {
	find "$WT_DIR/pending-del" -name '*.json' 2>/dev/null | grep -c . || true
}

slots_count() {
	[[ -e $BPFFS/weft_policy_progs ]] || { echo 0; return; }
	bpftool -j map dump pinned "$BPFFS/weft_policy_progs" | jq length
}

@test "DEL while weftd is down: the veth goes at once, weftd finishes the rest on start" {
	pod_add a
	pod_add b
	weftd_kill9
	pod_del a
	echo "$output $stderr" >&2
	[ "$status" -eq 0 ]
	# the plugin's part: the veth (and the pod side with it), and a record
	[ "$(host_veths_count)" -eq 1 ]
	run in_pod a ip link show eth0
	[ "$status" -ne 0 ]
	[ "$(pending_count)" -eq 1 ]
	[ "$(jq -r .containerID "$WT_DIR"/pending-del/*.json)" = "cid-$WT_ID-a" ]
	# weftd's part: endpoint, pins, map entry, slot and address
	weftd_start
	[ "$(pending_count)" -eq 0 ]
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(endpoint_map_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	[ "$(find "$BPFFS/endpoints" -mindepth 1 -maxdepth 1 | grep -c .)" -eq 1 ]
	[ "$(slots_count)" -eq 1 ]
	grep -q "pending DEL of cid-$WT_ID-a/eth0 finished" "$WT_DIR/weftd.log"
	pod_del b
	assert_nothing_left
}

@test "ADD while weftd is down fails with code 11 and leaves nothing" {
	weftd_stop
	run pod_add a
	[ "$status" -ne 0 ]
	cni ADD "cid-$WT_ID-z" "/run/netns/$(pod_netns_add z)" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 11 ]
	assert_nothing_left
	weftd_start
	assert_nothing_left
}

# wait_log TEXT: until weftd's log has TEXT (3 s at most: the pending DELs are
# read every 1 s tick)
wait_log() {
	local i
	for ((i = 0; i < 60; i++)); do
		grep -q "$1" "$WT_DIR/weftd.log" && return 0
		sleep 0.05
	done
	cat "$WT_DIR/weftd.log" >&2
	return 1
}

@test "a pending DEL older than the pair's retried ADD leaves the new pod and address alone" {
	pod_add b
	weftd_stop
	# the runtime: an ADD that fails while weftd is down, then its DEL, which
	# the plugin records for weftd (the veth was never made: ifindex 0)
	run pod_add a
	[ "$status" -ne 0 ]
	cni DEL "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -eq 0 ]
	[ "$(pending_count)" -eq 1 ]
	[ "$(jq .hostIfindex "$WT_DIR"/pending-del/*.json)" -eq 0 ]
	# weftd reads it on a tick after the retried ADD made the pair anew
	# (here: held back over the start, put back with its own time)
	mkdir "$WT_DIR/held"
	mv "$WT_DIR"/pending-del/*.json "$WT_DIR/held/"
	weftd_start
	cni ADD "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -eq 0 ]
	local ip
	ip=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
	mv "$WT_DIR"/held/*.json "$WT_DIR/pending-del/"
	wait_log "pending DEL of cid-$WT_ID-a/eth0 is older than its endpoint"
	[ "$(pending_count)" -eq 0 ]
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 2 ]
	in_pod b ping -c 1 -W 2 "$ip"

	# an ADD on its way: its address given after the record, no endpoint yet
	printf '{"containerID":"cid-%s-c","ifname":"eth0","hostIfname":"wft00000000000","hostIfindex":0}\n' \
		"$WT_ID" >"$WT_DIR/held/c.json"
	touch -d '-10 seconds' "$WT_DIR/held/c.json"
	run bash -c 'printf "%s\n" "$1" | timeout 5 nc -U -q 2 "$2"' _ \
		"{\"op\":\"ipam.allocate\",\"containerID\":\"cid-$WT_ID-c\",\"ifname\":\"eth0\"}" "$SOCK"
	[ "$(jq -r .ok <<<"$output")" = true ]
	local before
	before=$(ipam_count)
	mv "$WT_DIR/held/c.json" "$WT_DIR/pending-del/"
	wait_log "pending DEL of cid-$WT_ID-c/eth0 is older than the pair's new address"
	[ "$(ipam_count)" -eq "$before" ]
	cni DEL "cid-$WT_ID-c" "" eth0
	pod_del a
	pod_del b
	assert_nothing_left
}

@test "weftd start removes what no endpoint owns: dead endpoints, stray map entries" {
	pod_add a
	pod_add b
	weftd_stop
	# a's veth vanishes behind weftd's back (no DEL at all)
	in_node ip link del "$(in_node ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 |
		grep '^wft' | head -1)"
	weftd_start
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(endpoint_map_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	[ "$(slots_count)" -eq 1 ]
	run ctl -o json endpoints
	left=$(jq -r '.endpoints[0].containerID' <<<"$output")
	pod_del "${left#cid-$WT_ID-}"
	assert_nothing_left
}

@test "an endpoint weftd has no record of: start removes its pins, entries, slot; GC the rest" {
	pod_add a
	pod_add b
	weftd_stop
	# a crash between the pins and the state file, as it were
	rm "$STATE/endpoints/cid-$WT_ID-a_eth0.json"
	weftd_start
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(find "$BPFFS/endpoints" -mindepth 1 -maxdepth 1 | grep -c .)" -eq 1 ]
	[ "$(endpoint_map_count)" -eq 1 ]
	[ "$(slots_count)" -eq 1 ]
	# the address is too young to be taken at start (an ADD may be in
	# flight); the veth is the plugin's: GC takes both
	[ "$(ipam_count)" -eq 2 ]
	conf=$(jq --arg keep "cid-$WT_ID-b" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: $keep, ifname: "eth0"}]}' \
		<<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	[ "$status" -eq 0 ]
	[ "$(ipam_count)" -eq 1 ]
	[ "$(host_veths_count)" -eq 1 ]
	pod_del b
	assert_nothing_left
}

# The killer: SIGKILL weftd after a random 50-400 ms, start it again, repeat.
killer() {
	local pid
	set +e # bats' errexit would end the loop at the first failed kill
	while :; do
		sleep "0.$((RANDOM % 35 + 5))"
		pid=$(cat "$WT_DIR/weftd.pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
		sleep 0.05
		weftd_start >/dev/null 2>&1 || true
	done
}

@test "weftd killed at random points during 50 ADDs and DELs: nothing leaks after GC" {
	local n_add valid=() ok=0 fail=0
	killer 3>&- &
	KILLER=$!
	for ((n_add = 1; n_add <= 50; n_add++)); do
		ns=$(pod_netns_add "p$n_add")
		cni ADD "cid-$WT_ID-p$n_add" "/run/netns/$ns" eth0
		if [[ $status -ne 0 ]]; then
			fail=$((fail + 1))
			continue
		fi
		ok=$((ok + 1))
		# every third pod goes again right away
		if ((n_add % 3 == 0)); then
			cni DEL "cid-$WT_ID-p$n_add" "/run/netns/$ns" eth0
			[[ $status -eq 0 ]] && continue
		fi
		valid+=("p$n_add")
	done
	kill "$KILLER"
	KILLER=
	echo "ADDs: $ok ok, $fail failed; ${#valid[@]} pods kept" >&2
	# a weftd that was not killed half-way, then GC with the pods we keep
	weftd_stop
	weftd_start
	local list
	list=$(for p in "${valid[@]}"; do echo "cid-$WT_ID-$p"; done |
		jq -R '{containerID: ., ifname: "eth0"}' | jq -s .)
	conf=$(jq --argjson keep "$list" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": $keep}' <<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	[ "$status" -eq 0 ]
	n=${#valid[@]}
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq "$n" ]
	[ "$(ctl -o json endpoints | jq '[.endpoints[].attached] | all')" = true ]
	[ "$(host_veths_count)" -eq "$n" ]
	[ "$(endpoint_map_count)" -eq "$n" ]
	[ "$(ipam_count)" -eq "$n" ]
	[ "$(find "$BPFFS/endpoints" -mindepth 1 -maxdepth 1 | grep -c .)" -eq "$n" ]
	[ "$(slots_count)" -eq "$n" ]
	[ "$(pending_count)" -eq 0 ]
	# the pods that are left still talk
	if ((n >= 2)); then
		in_pod "${valid[0]}" ping -c 1 -W 2 "$(in_pod "${valid[1]}" ip -j addr show eth0 |
			jq -r '.[0].addr_info[] | select(.family == "inet") | .local')"
	fi
	for p in "${valid[@]}"; do
		cni DEL "cid-$WT_ID-$p" "/run/netns/$WT_ID-$p" eth0
		[ "$status" -eq 0 ]
	done
	assert_nothing_left
	[ "$(slots_count)" -eq 0 ]
}
