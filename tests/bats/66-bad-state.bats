#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Corrupt, truncated, empty and wrong-type state files at weftd's start, of
# every kind it reads (endpoint records, IPAM records and their round-robin
# hint, pending DELs, datapath.json): weftd starts, logs each bad file once
# with its full path and reason, moves it to quarantine/ next to it, and
# every valid pod keeps its address, its programs and its traffic. A new ADD
# never gets an address a live pod uses.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

# restart: SIGKILL weftd (no clean shutdown) and start it again.
restart() {
	weftd_kill9
	: >"$WT_DIR/weftd.log"
	weftd_start
}

# logged PATH REASON: exactly one log line says PATH is bad for REASON and
# where it went, and PATH is there no more, but in quarantine/.
logged() {
	local path=$1 why=$2 n
	n=$(grep -cF "bad state file $path: $why" "$WT_DIR/weftd.log" || true)
	if [[ $n -ne 1 ]]; then
		echo "expected one line 'bad state file $path: $why...', got $n; log:" >&2
		grep "bad state file" "$WT_DIR/weftd.log" >&2
		return 1
	fi
	grep -F "bad state file $path: $why" "$WT_DIR/weftd.log" |
		grep -qF "moved to $(dirname "$path")/quarantine/$(basename "$path")."
	[ ! -e "$path" ] && [ ! -L "$path" ]
	compgen -G "$(dirname "$path")/quarantine/$(basename "$path").*" >/dev/null
}

# both pods still talk, keep their addresses, and weftd knows them
pods_fine() {
	in_pod a ping -c 2 -i 0.2 -W 2 "$(pod_ip b)"
	in_pod b ping -c 2 -i 0.2 -W 2 "$(pod_ip a)"
	[ "$(in_pod a ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" = "$(pod_ip a)" ]
	[ "$(in_pod b ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" = "$(pod_ip b)" ]
	run ctl -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq "${1:-2}" ]
	[ "$(jq '[.endpoints[] | select(.attached)] | length' <<<"$output")" -eq "${1:-2}" ]
}

# a fresh pod c gets an address no live pod has, and reaches a
new_pod_fine() {
	pod_add c
	[ "$(pod_ip c)" != "$(pod_ip a)" ]
	[ "$(pod_ip c)" != "$(pod_ip b)" ]
	in_pod c ping -c 2 -i 0.2 -W 2 "$(pod_ip a)"
}

@test "bad endpoint records: garbage, truncated, empty, wrong type, missing field, misnamed, not a file" {
	pod_add a
	pod_add b
	local eps=$STATE/endpoints rec
	rec=$(cat "$eps/cid-$WT_ID-a_eth0.json")
	weftd_kill9
	printf 'this is not JSON' >"$eps/garbage_eth0.json"
	printf '%s' "${rec:0:40}" >"$eps/cut_eth0.json"
	: >"$eps/empty_eth0.json"
	jq -c '.id = "7" | .containerID = "wrongtype"' <<<"$rec" >"$eps/wrongtype_eth0.json"
	jq -c 'del(.ips) | .containerID = "noips"' <<<"$rec" >"$eps/noips_eth0.json"
	# a's record, valid, under another pair's name
	printf '%s' "$rec" >"$eps/misnamed_eth0.json"
	mkdir "$eps/dir_eth0.json"
	mkfifo "$eps/fifo_eth0.json"
	: >"$WT_DIR/weftd.log"
	weftd_start --metrics-addr 127.0.0.1:9966

	logged "$eps/garbage_eth0.json" "not JSON: line 1:"
	logged "$eps/cut_eth0.json" "truncated: line 1:"
	logged "$eps/empty_eth0.json" "empty;"
	logged "$eps/wrongtype_eth0.json" "field 'id' is not an integer;"
	logged "$eps/noips_eth0.json" "field 'ips' missing;"
	logged "$eps/misnamed_eth0.json" "it is about cid-$WT_ID-a/eth0, whose record is cid-$WT_ID-a_eth0.json;"
	logged "$eps/dir_eth0.json" "not a regular file;"
	logged "$eps/fifo_eth0.json" "not a regular file;"
	[ "$(find "$eps/quarantine" -mindepth 1 | grep -c .)" -eq 8 ]
	[ "$(in_node curl -s -m 5 http://127.0.0.1:9966/metrics |
		awk '$1 == "weft_state_files_quarantined_total" { print $2 }')" = 8 ]
	[ "$(ctl -o json status | jq -r .endpoints)" -eq 2 ]
	pods_fine
	new_pod_fine

	# the same name gone bad again: a second quarantined copy, none replaced
	weftd_kill9
	printf '{"id":' >"$eps/garbage_eth0.json"
	: >"$WT_DIR/weftd.log"
	weftd_start
	logged "$eps/garbage_eth0.json" "truncated: line 1:"
	[ "$(compgen -G "$eps/quarantine/garbage_eth0.json.*" | grep -c .)" -eq 2 ]
	grep -q "this is not JSON" $(compgen -G "$eps/quarantine/garbage_eth0.json.*")
	pods_fine 3
}

@test "bad IPAM records: moved aside, live pods' addresses reserved again, never handed out twice" {
	pod_add a
	pod_add b
	local ipam=$STATE/ipam
	weftd_kill9
	# a's and b's own records go bad: without their endpoint records naming
	# the addresses, the next ADD would get a's (the hint goes bad too, so
	# the search starts at the range's first address, a's)
	printf 'zz' >"$ipam/$(pod_ip a)"
	: >"$ipam/$(pod_ip b)"
	printf 'cid-x eth0 extra\n' >"$ipam/10.244.1.200"
	printf -- '-bad eth0\n' >"$ipam/10.244.1.201"
	printf 'cid-y eth0\n' >"$ipam/banana"
	printf 'cid-z eth0\n' >"$ipam/10.9.9.9"
	printf 'garbage\n' >"$ipam/last_reserved"
	: >"$WT_DIR/weftd.log"
	weftd_start

	logged "$ipam/$(pod_ip a)" "truncated: no newline at the end;"
	logged "$ipam/$(pod_ip b)" "empty;"
	logged "$ipam/10.244.1.200" 'not "containerID ifname" on one line;'
	logged "$ipam/10.244.1.201" "containerID '-bad' is not valid;"
	logged "$ipam/banana" "the name is not an IPv4 address;"
	logged "$ipam/10.9.9.9" "outside the usable range of the pod CIDR;"
	logged "$ipam/last_reserved" "'garbage' is not an address of the pod CIDR;"
	# the endpoint records put the live addresses back
	[ "$(cat "$ipam/$(pod_ip a)")" = "cid-$WT_ID-a eth0" ]
	[ "$(cat "$ipam/$(pod_ip b)")" = "cid-$WT_ID-b eth0" ]
	grep -q "reconcile: $(pod_ip a) reserved again for endpoint" "$WT_DIR/weftd.log"
	pods_fine
	new_pod_fine
	[ "$(ipam_count)" -eq 3 ]
}

@test "an endpoint record gone bad: its pod's address stays held until its DEL" {
	pod_add a
	pod_add b
	local rec=$STATE/endpoints/cid-$WT_ID-a_eth0.json
	weftd_kill9
	truncate -s 20 "$rec"
	# older than reconcile's grace for allocations without an endpoint
	touch -d '-1 hour' "$STATE/ipam/$(pod_ip a)"
	: >"$WT_DIR/weftd.log"
	weftd_start
	logged "$rec" "truncated: line 1:"
	grep -qF "$(pod_ip a) of cid-$WT_ID-a/eth0 kept: the pair's endpoint record was moved aside" \
		"$WT_DIR/weftd.log"
	[ "$(cat "$STATE/ipam/$(pod_ip a)")" = "cid-$WT_ID-a eth0" ]
	# b is untouched; a is no endpoint of weftd's any more, but its address
	# is not given to c
	run ctl -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq 1 ]
	pod_add c
	[ "$(pod_ip c)" != "$(pod_ip a)" ] && [ "$(pod_ip c)" != "$(pod_ip b)" ]
	in_pod c ping -c 2 -i 0.2 -W 2 "$(pod_ip b)"
	# a's DEL releases it
	pod_del a
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/ipam/$(pod_ip a)" ]
	pod_del b
	pod_del c
	assert_nothing_left
}

@test "bad pending DELs and datapath.json: moved aside, pods keep working, a fresh datapath.json" {
	pod_add a
	pod_add b
	local pend=$WT_DIR/pending-del
	weftd_kill9
	mkdir -p "$pend"
	printf '{"containerID": "cid-q", "ifname": "eth0", "hostIf' >"$pend/wftcut.json"
	printf '[1, 2]' >"$pend/wftarray.json"
	printf '{"containerID": "cid-q", "ifname": "eth0", "hostIfname": "wftq", "hostIfindex": "9"}' \
		>"$pend/wfttype.json"
	printf '{"objectHash": 12}' >"$STATE/datapath.json"
	: >"$WT_DIR/weftd.log"
	weftd_start

	logged "$pend/wftcut.json" "truncated: line 1:"
	logged "$pend/wftarray.json" "not a JSON object;"
	logged "$pend/wfttype.json" "field 'hostIfindex' is not an integer;"
	logged "$STATE/datapath.json" "field 'objectHash' is not a string;"
	# the start-up upgrade records the programs anew
	weftd_wait "$WEFTD_PID" "$WT_DIR/weftd.log" test -s "$STATE/datapath.json"
	jq -e '.objectHash | length > 0' "$STATE/datapath.json"
	pods_fine
	new_pod_fine

	# truncated datapath.json too
	weftd_kill9
	head -c 10 "$STATE/datapath.json" >"$STATE/datapath.json.cut"
	mv "$STATE/datapath.json.cut" "$STATE/datapath.json"
	: >"$WT_DIR/weftd.log"
	weftd_start
	logged "$STATE/datapath.json" "truncated: line 1:"
	pods_fine 3
}

@test "bad files while weftd runs: a pending DEL is moved aside on the next tick, once" {
	pod_add a
	pod_add b
	local pend=$WT_DIR/pending-del
	mkdir -p "$pend"
	printf 'nonsense' >"$pend/wftlive.json"
	weftd_wait "$WEFTD_PID" "$WT_DIR/weftd.log" test ! -e "$pend/wftlive.json"
	sleep 1.5
	logged "$pend/wftlive.json" "not JSON: line 1:"
	pods_fine
}
