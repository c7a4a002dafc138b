#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Churn: CHURN_CYCLES ADD/DEL cycles (default 100) through the real plugin,
# CHURN_PAR at a time (10), while weftd is SIGKILLed at CHURN_KILLS random
# points (3) and started again as the DaemonSet would (same flags, state dir,
# bpffs); then CNI GC with the pods kept. Each worker's last pod stays; every
# other pod is deleted. A failed ADD or DEL is retried as DEL until it
# succeeds, as the runtime does; failures are counted, not fatal. Afterwards
# nothing of a dead pod may be left: host or pod veth, address, pin, map
# entry (weft_endpoints, weft_veths, weft_policy_progs, weft_policy_maps but
# for spare empty maps, weft_ipcache),
# conntrack entry, state file; and the pods kept reach each other.
# bench/churn.sh runs this suite at full size (1,000 cycles, 20 kills) and
# prints the "churn:" line it writes. The second test is the conntrack leak
# the churn found, made deterministic: the flows of pods removed at start.

load helpers

CYCLES=${CHURN_CYCLES:-100}
PAR=${CHURN_PAR:-10}
KILLS=${CHURN_KILLS:-3}
# weftd's flags, at start and at every restart (e.g. "--flow-events all")
read -ra CHURN_ARGS <<<"${CHURN_WEFTD_ARGS:-}"

setup() {
	node_up "${CHURN_ARGS[@]}"
	# what a node without pods holds: pins outside endpoints/, state files
	pins_outside_endpoints >"$WT_DIR/pins.base"
	state_files_other >"$WT_DIR/state.base"
}

teardown() {
	local p
	for p in ${CHURN_PIDS:-}; do kill "$p" 2>/dev/null || true; done
	wt_teardown
}

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

# pins that are neither an endpoint's nor a shared map's (created with the
# first endpoint) nor bpffs' own
pins_outside_endpoints() {
	(cd "$BPFFS" && find . -mindepth 1 -not -path './endpoints/*' | sort |
		grep -Ev '^\./(weft_[a-z0-9_]+|endpoints|maps\.debug|progs\.debug)$' || true)
}

# state files that are neither an endpoint record nor an address
state_files_other() {
	(cd "$STATE" && find . -mindepth 1 -not -path './endpoints/*' -not -path './ipam/*' | sort)
}

# churn_del POD NS: DEL until it succeeds (weftd may be down or starting);
# then the pod side must be gone, and the namespace goes.
churn_del() {
	local pod=$1 ns=$2 try
	for ((try = 0; try < 50; try++)); do
		cni DEL "cid-$WT_ID-$pod" "/run/netns/$ns" eth0
		[[ $status -eq 0 ]] && break
		echo "del-fail $pod $(jq -r '.code' <<<"$output" 2>/dev/null)" >>"$WT_DIR/churn.log"
		sleep 0.2
	done
	[[ $status -eq 0 ]] || echo "del-gaveup $pod" >>"$WT_DIR/churn.log"
	if ip -n "$ns" link show eth0 >/dev/null 2>&1; then
		echo "leak pod-veth $pod" >>"$WT_DIR/churn.log"
	fi
	ip netns del "$ns"
}

# churn_worker W: cycles W, W+PAR, ...; the last one's pod stays. (Not $i:
# bats' run sets a global i.)
churn_worker() {
	local w=$1 cyc last pod ns ip
	set +e
	for ((cyc = w; cyc < CYCLES; cyc += PAR)); do
		last=$cyc
	done
	for ((cyc = w; cyc < CYCLES; cyc += PAR)); do
		pod=c$cyc
		ns=$(pod_netns_add "$pod")
		cni ADD "cid-$WT_ID-$pod" "/run/netns/$ns" eth0 \
			"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod;K8S_POD_UID=uid-$pod"
		if [[ $status -ne 0 ]]; then
			echo "add-fail $pod $(jq -r '.code' <<<"$output" 2>/dev/null)" >>"$WT_DIR/churn.log"
			churn_del "$pod" "$ns"
		else
			ip=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
			# the pod works: the node answers it
			in_pod "$pod" ping -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 ||
				echo "ping-fail $pod $ip" >>"$WT_DIR/churn.log"
			if ((cyc == last)); then
				echo "$pod $ip" >>"$WT_DIR/survivors"
			else
				churn_del "$pod" "$ns"
			fi
		fi
		echo "done $pod" >>"$WT_DIR/churn.log"
	done
}

# churn_killer: KILLS random points spread over the first 90% of the cycles;
# at each, a random 0-250 ms later (mid-ADD, mid-DEL or mid-start), SIGKILL
# weftd and start it again.
churn_killer() {
	local at done
	set +e
	for at in $(shuf -i 1-$((CYCLES * 9 / 10)) -n "$KILLS" | sort -n); do
		while :; do
			done=$(grep -c '^done ' "$WT_DIR/churn.log")
			((done >= at)) && break
			sleep 0.02
		done
		sleep "$(printf "0.%03d" $((RANDOM % 250)))"
		weftd_kill9 && echo kill >>"$WT_DIR/kills"
		weftd_start "${CHURN_ARGS[@]}" >/dev/null 2>&1 || echo "restart-fail" >>"$WT_DIR/churn.log"
	done
}

# a map dump's keys as u32 (little endian), from bpftool's hex bytes
JQ_KEY_U32='def hex: ltrimstr("0x") | ascii_downcase | explode |
	map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as $d (0; . * 16 + $d);
	.[] | .key[0:4] | map(hex) | .[0] + .[1] * 256 + .[2] * 65536 + .[3] * 16777216'
# "slot inner-map-id" of every slot of a map of maps
JQ_SLOTS_U32='def hex: ltrimstr("0x") | ascii_downcase | explode |
	map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as $d (0; . * 16 + $d);
	def u32: map(hex) | .[0] + .[1] * 256 + .[2] * 65536 + .[3] * 16777216;
	.[] | "\(.key[0:4] | u32) \(.inner_map_id)"'

# churn_leaks: one "leak WHAT: DETAIL" line per thing a dead pod left
churn_leaks() {
	local alive_ips alive_cids f
	alive_ips=$(awk '{ print $2 }' "$WT_DIR/survivors" | sort)
	alive_cids=$(awk -v id="$WT_ID" '{ print "cid-" id "-" $1 }' "$WT_DIR/survivors" | sort)
	grep '^leak ' "$WT_DIR/churn.log"
	# host side: weft's veths, and nothing else
	comm -13 <(echo "$alive_cids") <(ctl -o json endpoints |
		jq -r '.endpoints[].containerID' | sort) | sed 's/^/leak endpoint: /'
	ctl -o json endpoints | jq -r '.endpoints[] | select(.attached | not) | "leak detached endpoint: \(.containerID)"'
	[[ $(host_veths_count) -eq $(wc -l <"$WT_DIR/survivors") ]] ||
		echo "leak host veths: $(host_veth | tr '\n' ' ')"
	in_node ip -o link show type veth | awk -F': ' '{ print $2 }' | cut -d@ -f1 |
		grep -Ev '^(wft[0-9a-f]+|wt-host|wt-host-peer)$' | sed 's/^/leak veth: /'
	# addresses, and the state dir
	comm -3 <(echo "$alive_ips") <(ls "$STATE/ipam" | grep '^[0-9]' | sort) |
		sed 's/^/leak ipam: /'
	comm -3 <(echo "$alive_cids" | sed 's/$/_eth0.json/') <(ls "$STATE/endpoints" | sort) |
		sed 's/^/leak endpoint record: /'
	ls -A "$STATE/ipam" | grep -v '^[0-9]' | grep -vx last_reserved | sed 's/^/leak ipam file: /'
	diff "$WT_DIR/state.base" <(state_files_other) | grep '^[<>]' | sed 's/^/leak state file: /'
	find "$WT_DIR/pending-del" -type f 2>/dev/null | sed 's/^/leak pending DEL: /'
	# pins
	[[ $(find "$BPFFS/endpoints" -mindepth 1 -maxdepth 1 | grep -c .) -eq \
		$(wc -l <"$WT_DIR/survivors") ]] || echo "leak endpoint pins: $(ls "$BPFFS/endpoints" | tr '\n' ' ')"
	diff "$WT_DIR/pins.base" <(pins_outside_endpoints) | grep '^[<>]' | sed 's/^/leak pin: /'
	# map entries: addresses in weft_endpoints and weft_ipcache, endpoint ids
	# in weft_policy_progs and weft_policy_maps
	comm -3 <(echo "$alive_ips") <(bpftool -j map dump pinned "$BPFFS/weft_endpoints" |
		jq -r '.[].formatted.key.addr[0] | [. % 256, (. / 256 | floor) % 256, (. / 65536 | floor) % 256, (. / 16777216 | floor)] | map(tostring) | join(".")' | sort) |
		sed 's/^/leak weft_endpoints: /'
	local ids
	ids=$(ctl -o json endpoints | jq -r '.endpoints[].id' | sort)
	comm -3 <(echo "$ids") <(bpftool -j map dump pinned "$BPFFS/weft_policy_progs" |
		jq -r "$JQ_KEY_U32" | sort) | sed "s/^/leak weft_policy_progs: /"
	comm -3 <(echo "$ids") <(bpftool -j map dump pinned "$BPFFS/weft_veths" |
		jq -r '.[].formatted.value.endpoint_id' | sort) | sed "s/^/leak weft_veths: /"
	# weft_policy_maps: every endpoint's map, and the spares
	# (daemon/policy/spares.h): empty maps at ids no endpoint has, no more
	# than the pool keeps (SPARES_MAX ready + SPARES_WANT being installed)
	local slot inner spares=0
	while read -r slot inner; do
		grep -qx "$slot" <<<"$ids" && continue
		spares=$((spares + 1))
		[[ $(bpftool -j map dump id "$inner" | jq length) -eq 0 ]] ||
			echo "leak weft_policy_maps: slot $slot (map $inner) is no endpoint's and not empty"
	done < <(bpftool -j map dump pinned "$BPFFS/weft_policy_maps" | jq -r "$JQ_SLOTS_U32")
	((spares <= 80)) || echo "leak weft_policy_maps: $spares maps at ids no endpoint has"
	comm -23 <(echo "$ids") <(bpftool -j map dump pinned "$BPFFS/weft_policy_maps" |
		jq -r "$JQ_KEY_U32" | sort) | sed "s/^/leak weft_policy_maps: no map for endpoint /"
	comm -13 <(echo "$alive_ips") <(ctl -o json ipcache |
		jq -r --arg cidr "${POD_CIDR%.*/*}." '.entries[] | .prefix | select(startswith($cidr) and endswith("/32")) | rtrimstr("/32")' |
		sort) | sed 's/^/leak weft_ipcache: /'
	# conntrack: no flow from or to a dead pod's address
	ctl -o json ct | jq -r --arg cidr "${POD_CIDR%.*/*}." \
		'.entries[] | [.src, .dst] | .[] | select(startswith($cidr))' | sort -u |
		comm -13 <(echo "$alive_ips") - | sed 's/^/leak conntrack: /'
}

@test "churn: ADD/DEL cycles in parallel, weftd SIGKILLed and restarted, GC: nothing leaks" {
	local t0 w p n list conf kills ok leaks
	: >"$WT_DIR/churn.log"
	: >"$WT_DIR/survivors"
	: >"$WT_DIR/kills"
	t0=$EPOCHREALTIME
	churn_killer 3>&- &
	CHURN_PIDS=$!
	local workers=()
	for ((w = 0; w < PAR; w++)); do
		churn_worker "$w" 3>&- &
		workers+=($!)
	done
	CHURN_PIDS+=" ${workers[*]}"
	for p in "${workers[@]}"; do wait "$p"; done
	wait "${CHURN_PIDS%% *}"
	CHURN_PIDS=
	# weftd as the last restart left it; it must be up
	weftd_wait "$(cat "$WT_DIR/weftd.pid")" "$WT_DIR/weftd.log" ctl status
	list=$(awk -v id="$WT_ID" '{ print "cid-" id "-" $1 }' "$WT_DIR/survivors" |
		jq -R '{containerID: ., ifname: "eth0"}' | jq -s .)
	conf=$(jq --argjson keep "$list" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": $keep}' <<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	echo "GC: $status $output" >&2
	[ "$status" -eq 0 ]
	# pending DELs are finished on weftd's 1 s tick
	for _ in $(seq 40); do
		[[ -z $(find "$WT_DIR/pending-del" -type f 2>/dev/null) ]] && break
		sleep 0.1
	done
	local secs
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	churn_leaks >"$WT_DIR/leaks" || true
	cat "$WT_DIR/leaks" >&2
	leaks=$(grep -c . "$WT_DIR/leaks" || true)
	# the pods kept reach each other: each pings the next
	n=$(wc -l <"$WT_DIR/survivors")
	local pods=() ips=() pingfail=0
	while read -r p ip; do pods+=("$p") ips+=("$ip"); done <"$WT_DIR/survivors"
	for ((w = 0; w < n; w++)); do
		in_pod "${pods[w]}" ping -c 1 -W 2 "${ips[(w + 1) % n]}" >/dev/null ||
			{ echo "no reply: ${pods[w]} -> ${ips[(w + 1) % n]}" >&2; pingfail=$((pingfail + 1)); }
	done
	kills=$(grep -c . "$WT_DIR/kills" || true)
	local addfail delfail gaveup pingbad
	addfail=$(grep -c '^add-fail' "$WT_DIR/churn.log" || true)
	delfail=$(grep -c '^del-fail' "$WT_DIR/churn.log" || true)
	gaveup=$(grep -c '^del-gaveup\|^restart-fail' "$WT_DIR/churn.log" || true)
	pingbad=$(grep -c '^ping-fail' "$WT_DIR/churn.log" || true)
	grep '^add-fail\|^del-fail\|^ping-fail\|^restart-fail' "$WT_DIR/churn.log" >&2 || true
	local codes
	codes=$(awk '$1 == "add-fail" { n[$3]++ } END { for (c in n) printf "%s%d with code %s", (s++ ? ", " : ""), n[c], c }' \
		"$WT_DIR/churn.log")
	echo "# churn: cycles $CYCLES, parallel $PAR, kills $kills, time ${secs}s," \
		"ADD failures $addfail${codes:+ ($codes)}, DEL failures $delfail (retried until done; gave up $gaveup)," \
		"pods kept $n, pings failed ${pingbad} during + $pingfail after, leaks $leaks" >&3
	[ "$kills" -eq "$KILLS" ]
	[ "$gaveup" -eq 0 ]
	[ "$leaks" -eq 0 ]
	[ "$pingbad" -eq 0 ]
	[ "$pingfail" -eq 0 ]
	[ "$n" -ge 2 ]
	# and the kept pods go cleanly
	while read -r p ip; do
		pod_del "$p"
		[ "$status" -eq 0 ]
	done <"$WT_DIR/survivors"
	assert_nothing_left
}

# ct_of IP: conntrack entries from or to IP
ct_of() { ctl -o json ct | jq --arg ip "$1" '[.entries[] | select(.src == $ip or .dst == $ip)] | length'; }

@test "churn: the flows of pods removed at start go with them (pending DEL, lost record)" {
	pod_add a
	pod_add b
	pod_add c
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	in_pod c ping -c 1 -W 2 192.0.2.1
	[ "$(ct_of "$(pod_ip a)")" -ge 1 ]
	[ "$(ct_of "$(pod_ip c)")" -ge 1 ]
	# a deleted while weftd is down: the plugin records it, weftd finishes
	# it at start, before its policy engine (which purges flows) is open
	weftd_kill9
	pod_del a
	[ "$status" -eq 0 ]
	# c's record lost (a crash between the pins and the state file): its
	# weft_endpoints entry is unowned at start
	rm "$STATE/endpoints/cid-$WT_ID-c_eth0.json"
	weftd_start "${CHURN_ARGS[@]}"
	[ "$(ct_of "$(pod_ip a)")" -eq 0 ]
	[ "$(ct_of "$(pod_ip c)")" -eq 0 ]
	grep -q "conntrack entries of a removed endpoint removed" "$WT_DIR/weftd.log"
	# b keeps working; GC takes c's address and veth, then b goes
	in_pod b ping -c 1 -W 2 192.0.2.1
	conf=$(jq --arg keep "cid-$WT_ID-b" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: $keep, ifname: "eth0"}]}' \
		<<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	[ "$status" -eq 0 ]
	pod_del b
	[ "$status" -eq 0 ]
	assert_nothing_left
}
