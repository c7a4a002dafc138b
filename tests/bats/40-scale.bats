#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Many pods at once, as a node under a deployment roll-out sees them.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

@test "50 ADDs in parallel all succeed with distinct addresses; 50 DELs leave nothing" {
	local n=50 i pids=()
	for ((i = 0; i < n; i++)); do pod_netns_add "s$i" >/dev/null; done
	for ((i = 0; i < n; i++)); do
		(
			in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="cid-$WT_ID-s$i" \
				CNI_NETNS="/run/netns/$WT_ID-s$i" CNI_IFNAME=eth0 \
				CNI_PATH="$CNI_PLUGIN_PATH" "$WEFT" <<<"$(net_conf)" \
				>"$WT_DIR/add-$i.json"
		) &
		pids+=($!)
	done
	local failed=0
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$WT_DIR/add-$i.json"; }; done
	[ "$failed" -eq 0 ]
	local ips
	ips=$(cat "$WT_DIR"/add-*.json | jq -r '.ips[0].address')
	[ "$(sort -u <<<"$ips" | wc -l)" -eq "$n" ]
	[ "$(host_veths_count)" -eq "$n" ]
	[ "$(endpoint_map_count)" -eq "$n" ]
	# a few of them actually talk
	in_pod s0 ping -c 1 -W 2 "$(jq -r '.ips[0].address' "$WT_DIR/add-49.json" | cut -d/ -f1)"
	in_pod s25 ping -c 1 -W 2 "$(jq -r '.ips[0].address' "$WT_DIR/add-7.json" | cut -d/ -f1)"

	pids=()
	for ((i = 0; i < n; i++)); do
		in_node env -i CNI_COMMAND=DEL CNI_CONTAINERID="cid-$WT_ID-s$i" \
			CNI_NETNS="/run/netns/$WT_ID-s$i" CNI_IFNAME=eth0 \
			CNI_PATH="$CNI_PLUGIN_PATH" "$WEFT" <<<"$(net_conf)" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]
	assert_nothing_left
}

# cnitool_bg OUT CMD POD: cnitool CMD for pod POD in the background, its
# output (the result, or the error) in OUT. bats' `run` keeps $output in the
# subshell, so the job writes it out and exits with cnitool's status.
cnitool_bg() {
	local out=$1 cmd=$2 pod=$3
	(
		cnitool "$cmd" weftnet "/run/netns/$WT_ID-$pod"
		printf '%s\n' "$output" >"$out"
		exit "$status"
	) &
}

@test "50 ADDs in parallel through cnitool: every pod reaches every other; 50 DELs leave nothing" {
	local n=50 width=10 i j pids=() failed=0
	# named $WT_ID-c<i>, so wt_teardown removes them (and their veths) pass or fail
	for ((i = 0; i < n; i++)); do pod_netns_add "c$i" >/dev/null; done
	for ((i = 0; i < n; i++)); do
		cnitool_bg "$WT_DIR/cadd-$i.out" add "c$i"
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=$((failed + 1)); echo "ADD c$i failed: $(cat "$WT_DIR/cadd-$i.out")" >&2; }
	done
	[ "$failed" -eq 0 ]

	local ips=()
	for ((i = 0; i < n; i++)); do
		ips[i]=$(jq -r '.ips[0].address' "$WT_DIR/cadd-$i.out" | cut -d/ -f1)
		[[ ${ips[i]} =~ ^[0-9.]+$ ]] || { echo "c$i: no address in $(cat "$WT_DIR/cadd-$i.out")" >&2; false; }
	done
	local dups
	dups=$(printf '%s\n' "${ips[@]}" | sort | uniq -d)
	[[ -z $dups ]] || { echo "addresses given to more than one pod: $dups" >&2; false; }
	[ "$(host_veths_count)" -eq "$n" ]
	[ "$(endpoint_map_count)" -eq "$n" ]

	# Every ordered pair, 50 x 49. One nsenter per source pod, whose shell
	# pings its 49 targets one after the other (an exec per ping is what costs
	# here, not the wait: a healthy pair answers in well under a millisecond),
	# $width sources at a time so 2 cores are kept busy without thrashing.
	# -W 2 leaves a loaded machine room; only a broken pair waits it out.
	# A source exits non-zero when a ping failed or its shell never ran, so a
	# check that did not happen cannot pass as one with no failures.
	local start=${EPOCHREALTIME/./} src status_of=()
	for ((i = 0; i < n; i += width)); do
		pids=()
		for ((src = i; src < i + width && src < n; src++)); do
			local targets=()
			for ((j = 0; j < n; j++)); do
				((j == src)) || targets+=("c$j=${ips[j]}")
			done
			in_pod "c$src" sh -c '
				src=$1 bad=0
				shift
				for t; do
					ping -q -n -c 1 -W 2 "${t#*=}" >/dev/null 2>&1 ||
						{ echo "$src -> ${t%%=*} (${t#*=})"; bad=1; }
				done
				exit $bad' sh "c$src" "${targets[@]}" >"$WT_DIR/ping-c$src.fail" 2>&1 &
			pids[src]=$!
		done
		for src in "${!pids[@]}"; do
			status_of[src]=0
			wait "${pids[$src]}" || status_of[src]=$?
		done
	done
	echo "# $((n * (n - 1))) pairs checked in $(((${EPOCHREALTIME/./} - start) / 1000)) ms" >&3
	local bad_pairs=0 bad_src=()
	for ((src = 0; src < n; src++)); do
		((status_of[src] == 0)) && continue
		bad_src+=("c$src")
		local c
		c=$(grep -c ' -> ' "$WT_DIR/ping-c$src.fail" || true)
		# no failed pair but a failed shell: say so, not nothing
		((c)) || echo "c$src: check did not run (status ${status_of[src]})" >>"$WT_DIR/ping-c$src.fail"
		bad_pairs=$((bad_pairs + c))
	done
	if ((${#bad_src[@]})); then
		echo "$bad_pairs of $((n * (n - 1))) pairs failed (${#bad_src[@]} source pods saw a failure); first few:" >&2
		for src in "${bad_src[@]}"; do cat "$WT_DIR/ping-$src.fail"; done | head -n 10 >&2
		false
	fi

	pids=()
	for ((i = 0; i < n; i++)); do
		cnitool_bg "$WT_DIR/cdel-$i.out" del "c$i"
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=$((failed + 1)); echo "DEL c$i failed: $(cat "$WT_DIR/cdel-$i.out")" >&2; }
	done
	[ "$failed" -eq 0 ]
	assert_nothing_left
}
