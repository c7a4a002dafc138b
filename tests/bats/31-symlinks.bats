#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Root follows no symlink it did not expect: the plugin's logFile, weftd's
# socket, and the files in weftd's state dir. A link is refused with an error
# that names it, and nothing is created or changed at its target.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

ctl() { "$WEFTCTL" --socket "$SOCK" "$@"; }

conf_with() { jq -c "$1" <<<"$(net_conf)"; }

@test "a symlinked logFile is not followed: refused by name, nothing at its target" {
	ln -s "$WT_DIR/elsewhere.log" "$WT_DIR/link.log"
	printf 'precious\n' >"$WT_DIR/kept"
	ln -s "$WT_DIR/kept" "$WT_DIR/link2.log"
	CONF=$(conf_with ".logFile = \"$WT_DIR/link.log\"") pod_add a
	grep -qF "logFile $WT_DIR/link.log: a symbolic link, not followed; logging to stderr" <<<"$stderr"
	[ ! -e "$WT_DIR/elsewhere.log" ]
	[ -L "$WT_DIR/link.log" ]
	CONF=$(conf_with ".logFile = \"$WT_DIR/link2.log\"") pod_add b
	grep -qF "logFile $WT_DIR/link2.log: a symbolic link, not followed" <<<"$stderr"
	[ "$(cat "$WT_DIR/kept")" = precious ]
	# the pods themselves are fine, and a plain logFile still works
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	pod_del a
	[ "$status" -eq 0 ]
	grep -q "DEL" "$WT_DIR/plugin.log"
}

@test "a symlink or a plain file at weftd's socket path is refused, nothing left" {
	ln -s "$SOCK" "$WT_DIR/link.sock"
	POD_NS=$(pod_netns_add p)
	CONF=$(conf_with ".socket = \"$WT_DIR/link.sock\"") \
		cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	echo "$output" >&2
	[ "$status" -ne 0 ]
	jq -e '.msg == "weftd'"'"'s socket is a symbolic link, not followed"' <<<"$output"
	jq -e --arg p "$WT_DIR/link.sock" '.details | contains($p)' <<<"$output"
	assert_nothing_left
	run in_pod p ip -o link show
	[[ $output != *eth0* ]]
	: >"$WT_DIR/plain.sock"
	CONF=$(conf_with ".socket = \"$WT_DIR/plain.sock\"") \
		cni ADD "cid-$WT_ID" "/run/netns/$POD_NS" eth0
	[ "$status" -ne 0 ]
	jq -e '.msg == "weftd'"'"'s socket path is not a socket"' <<<"$output"
	assert_nothing_left
	# weftctl uses the same path check
	run "$WEFTCTL" --socket "$WT_DIR/link.sock" status
	[ "$status" -ne 0 ]
	[[ $output == *"symbolic link"* ]]
}

@test "symlinks in the state dir: moved aside at start, never read or written through" {
	pod_add a
	local rec=$STATE/endpoints/cid-$WT_ID-a_eth0.json
	# a valid record, but behind a link: weftd must not adopt it
	sed "s/cid-$WT_ID-a/cid-$WT_ID-l/" "$rec" >"$WT_DIR/outside.json"
	weftd_kill9
	ln -s "$WT_DIR/outside.json" "$STATE/endpoints/cid-$WT_ID-l_eth0.json"
	printf 'cid-l eth0\n' >"$WT_DIR/outside-ip"
	ln -s "$WT_DIR/outside-ip" "$STATE/ipam/10.244.1.100"
	mv "$STATE/datapath.json" "$WT_DIR/outside-datapath.json"
	ln -s "$WT_DIR/outside-datapath.json" "$STATE/datapath.json"
	: >"$WT_DIR/weftd.log"
	weftd_start
	for f in "endpoints/cid-$WT_ID-l_eth0.json" ipam/10.244.1.100 datapath.json; do
		grep -qF "bad state file $STATE/$f: a symbolic link (not followed); moved to" \
			"$WT_DIR/weftd.log"
		[ ! -e "$STATE/$f" ] && [ ! -L "$STATE/$f" ]
		# the link itself went to quarantine/, its target is untouched
		compgen -G "$(dirname "$STATE/$f")/quarantine/$(basename "$f").*" >/dev/null
		[ -L "$(compgen -G "$(dirname "$STATE/$f")/quarantine/$(basename "$f").*")" ]
	done
	[ "$(ctl -o json endpoints | jq '.endpoints | length')" -eq 1 ]
	[ "$(cat "$WT_DIR/outside-ip")" = "cid-l eth0" ]
	[ -f "$WT_DIR/outside.json" ] && [ -f "$WT_DIR/outside-datapath.json" ]

	# links planted while weftd runs, at the names its next ADD writes: the
	# records replace the links, the targets stay as they were
	printf 'target\n' >"$WT_DIR/target"
	ln -s "$WT_DIR/target" "$STATE/endpoints/cid-$WT_ID-b_eth0.json"
	ln -s "$WT_DIR/target" "$STATE/ipam/10.244.1.2"
	pod_add b
	[ "$(pod_ip b)" = 10.244.1.2 ]
	[ "$(cat "$WT_DIR/target")" = target ]
	[ -f "$STATE/endpoints/cid-$WT_ID-b_eth0.json" ] && [ ! -L "$STATE/endpoints/cid-$WT_ID-b_eth0.json" ]
	[ -f "$STATE/ipam/10.244.1.2" ] && [ ! -L "$STATE/ipam/10.244.1.2" ]
	in_pod b ping -c 1 -W 2 "$(pod_ip a)"
}
