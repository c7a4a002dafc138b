# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# The fixture of Kubernetes' e2e netpol suite on the namespace cluster, for
# 75-netpol.bats. Load after helpers and cluster (`load helpers; load
# cluster; load netpol`).
#
#   netpol_up    2 nodes (cluster_up 2); Kubernetes namespaces x, y, z
#                (labels ns: x and kubernetes.io/metadata.name: x, ...); pods
#                a, b, c in each (label pod: a, ...), alternately on the two
#                nodes, so every pair of namespaces has same-node and
#                cross-node pairs:
#                  node 1: x/a x/c y/b z/a z/c      node 2: x/b y/a y/c z/b
#                each running `netprobe serve 80 81` in its network namespace
#                $WT_ID-p-x-a; the external host (not in the cluster, reached
#                through SNAT) runs one too, target "ext/host".
#   the Pods     each Pod object (labels, containers' ports) is in the cluster
#                file before its CNI ADD, as a real API server has it before
#                kubelet calls the runtime; status.podIP follows the ADD.
#                Ports as the e2e suite names them: serve-80-tcp,
#                serve-80-udp, serve-81-tcp, serve-81-udp (and -sctp when the
#                kernel has SCTP), one container each; plus "web" (TCP), 80
#                on pods a and c and 81 on pods b, so that one name means
#                different numbers on different pods.
#   policies     netpol_apply NAME NS SPEC, netpol_delete NAME NS; labels
#                pod_label_set/pod_label_del NS/POD KEY [VALUE],
#                ns_label_set/ns_label_del NS KEY [VALUE]. Each is one atomic
#                cluster file write, whose time is kept (NP_T_WRITE).
#   the matrix   every pod probes every pod and ext/host over TCP and UDP
#                (and SCTP where the kernel has it) on ports 80 and 81, every
#                probe at once, from one `netprobe probe --from ...` that
#                makes each pod's sockets in its namespace. Expectations:
#                expect_all allow|deny, then
#                expect allow|deny FROM TO [PROTO [PORT]], later calls
#                winning; FROM and TO are bash globs on "ns/pod" (x/a, x/*,
#                */b, [yz]/*, *), several joined by commas; PROTO and PORT
#                globs too. netpol_expect probes until the matrix matches
#                (twice in a row) and fails with an expected-vs-got table
#                when it does not within NP_CONVERGE_LIMIT_MS of the last
#                write, or when a round that started more than
#                NP_LAND_MAX_MS after the write still saw it differ.
#                netpol_check: one round that must match at once (nothing in
#                flight). np_watch_start/np_watch_stop: rounds back to back
#                in the background while something else happens, every one
#                of which must match.
#   holds        np_hold_start NAME FROM TO PORT: one TCP connection held
#                open (netprobe hold); np_hold_unbroken and np_hold_cut judge
#                it from the time of a write.
#   teardown     netpol_teardown: every process the fixture started
#                (servers, holds, watches), then wt_teardown.
#
# A pod probing itself: the pod's own address is local in its namespace, so
# the kernel loops that traffic back without it ever reaching the veth and
# the pod's programs; no datapath can apply policy to it, and Kubernetes
# says pods cannot block access to themselves through localhost either. The
# upstream e2e suite ignores loopback results (ignoreLoopback = true:
# "different CNIs have different results", kubernetes#95879). Here self is
# always expected reachable whatever a test says (expect never changes it),
# and still probed: it proves the pod's server is up, so a blocked probe
# elsewhere is the policy's doing, not a dead server's.

NETPROBE=$OUTPUT/tests/tools/netprobe
NP_PORTS=(80 81)
NP_EXT=ext/host
# A denied probe costs the whole timeout, and a round of the matrix lasts as
# long as its slowest probe. 500 ms is ages for a reply between namespaces
# on one kernel, and keeps a round short enough to see a change land within
# a second.
NP_TIMEOUT_MS=${NP_TIMEOUT_MS:-500}
# The issue: a change takes effect within one second. Rounds run back to
# back, so the change landed after the start of the last round that still
# differed and before the start of the first that matched. A round that
# started later than NP_LAND_MAX_MS after the write and still differed proves
# the change late: that fails. (Judging by when the first match was seen
# instead would blame the engine for the length of a round.) Give up at
# NP_CONVERGE_LIMIT_MS.
NP_LAND_MAX_MS=${NP_LAND_MAX_MS:-1000}
NP_CONVERGE_LIMIT_MS=${NP_CONVERGE_LIMIT_MS:-3000}
# The fixture's first matrix waits for the cluster to know every pod.
NP_SETTLE_MS=${NP_SETTLE_MS:-8000}
NP_HOLD_INTERVAL_MS=100

# bats traces every shell command (a DEBUG trap), which makes a loop over the
# matrix's 360 cells take most of a second: the matrix lives in files, one
# cell a line, and awk does the work.
#   np/exp    FROM TO PROTO PORT allow|deny              the expectation
#   np/got    FROM TO PROTO PORT allow|deny|wrong DETAIL the last round
#   np/diff   FROM TO PROTO PORT WANT GOT DETAIL          where they differ
declare -gA NP_IP=() NP_NODE=() NP_BYIP=()
NP_PODS=()
NP_TARGETS=()
NP_PROTOS=()
NP_PROBE_ARGS=()
NP_NDIFF=0
NP_T_WRITE=
NP_SCTP=0
NP_SCTP_WHY=

# np_note TEXT: a line in the TAP output (fd 3), for the figures; nothing
# when there is no fd 3.
np_note() {
	{ echo "# $*" >&3; } 2>/dev/null || true
}

# np_trace TEXT: with NP_TRACE=1, a timed note (where the fixture's time goes).
np_trace() {
	[[ ${NP_TRACE:-0} == 1 ]] && np_note "trace $(now_ms) $*"
	true
}

np_netns() { cl_k8s_pod_netns "${1%%/*}" "${1#*/}"; } # x/a -> $WT_ID-p-x-a
in_np_pod() {
	local p=$1
	shift
	nsenter --net="/run/netns/$(np_netns "$p")" "$@"
}

# np_pids_kill: every process the fixture started (pid files under np/).
np_pids_kill() {
	local f
	for f in "$WT_DIR"/np/*.pid; do
		[[ -e $f ]] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	true
}

netpol_teardown() {
	[[ -n ${WT_DIR:-} && -d $WT_DIR/np ]] && np_pids_kill
	wt_teardown
}

# np_file_write: the cluster file, atomically, and when (NP_T_WRITE, ms).
np_file_write() {
	cluster_file_write
	NP_T_WRITE=$(now_ms)
}

# The containers of a pod: one per served port and protocol, named as the
# e2e suite names them, and "web" ($web, TCP). A jq function.
NP_CONTAINERS_JQ='
def np_containers($protos; $web):
	[$protos[] as $p | (80, 81) as $n |
	 {name: "cont-\($n)-\($p)", image: "netprobe",
	  ports: [{name: "serve-\($n)-\($p)", containerPort: $n, protocol: ($p | ascii_upcase)}]}]
	+ [{name: "cont-web", image: "netprobe",
	    ports: [{name: "web", containerPort: $web, protocol: "TCP"}]}];
'

# np_pods_put POD...: the Pod objects of ns/name pods (node in NP_NODE),
# Pending, in one jq run (not written out). "web" is 81 on pods named b, 80
# on the others.
np_pods_put() {
	local p list protos web
	for p in "$@"; do
		web=80
		[[ ${p#*/} == b ]] && web=81
		printf -v list '%s{"ns": "%s", "name": "%s", "node": "%s", "hip": "%s", "web": %s},' \
			"${list:-}" "${p%%/*}" "${p#*/}" "$WT_ID-n${NP_NODE[$p]}" "$CL_NET.${NP_NODE[$p]}" "$web"
	done
	printf -v protos '"%s",' "${NP_PROTOS[@]}"
	jq -nr --argjson pods "[${list%,}]" --argjson protos "[${protos%,}]" \
		"$CL_K8S_POD_JQ$NP_CONTAINERS_JQ"'
		$pods[] | "30-pod-\(.ns)-\(.name)\t" +
			(k8s_pod(.node; .hip; .ns; .name; {pod: .name}; np_containers($protos; .web)) | tojson)' |
		cl_objects_put
}

# np_pods_running POD...: their status.podIP from NP_IP, in one jq run.
np_pods_running() {
	local p files=() ips
	for p in "$@"; do
		files+=("$WT_DIR/objects/30-pod-${p%%/*}-${p#*/}.json")
		printf -v ips '%s"%s": "%s",' "${ips:-}" "$p" "${NP_IP[$p]}"
	done
	jq -r --argjson ips "{${ips%,}}" "$CL_K8S_POD_JQ"'
		"30-pod-\(.metadata.namespace)-\(.metadata.name)\t" +
			(k8s_pod_running($ips["\(.metadata.namespace)/\(.metadata.name)"]) | tojson)' \
		"${files[@]}" | cl_objects_put
}

# np_serve NETNS NAME: netprobe serve in NETNS, answering as NAME.
np_serve() {
	local ns=$1 name=$2 k=srv-${2/\//-}
	# nsenter execs netprobe: $! is the server itself. fd 3 closed, or bats
	# would wait for it.
	nsenter --net="/run/netns/$ns" "$NETPROBE" serve --name "$name" "${NP_PORTS[@]}" \
		>"$WT_DIR/np/$k.out" 2>&1 3>&- &
	echo $! >"$WT_DIR/np/$k.pid"
}

# (grep -L's exit status does not say whether it listed a file.)
# shellcheck disable=SC2143
np_all_serving() { [[ -z $(grep -L '^ready' "$WT_DIR"/np/srv-*.out) ]]; }

# np_pods_wire POD...: ns/name pods (nodes in NP_NODE) as kubelet makes
# them: the Pod objects written; each pod's namespace with its server
# (bound to every address before the pod has one, so it answers from the
# pod's first moment on the network); every ADD at once.
# Sets NP_IP. The pods are not Running yet: np_pods_finish.
np_pods_wire() {
	local p pids=() i rc=0 ns
	np_pods_put "$@"
	np_file_write
	for p in "$@"; do
		ns=$WT_ID-p-${p%%/*}-${p#*/}
		ip netns add "$ns"
		np_serve "$ns" "$p"
		cluster_k8s_pod_cni_add "${NP_NODE[$p]}" "${p%%/*}" "${p#*/}" \
			>"$WT_DIR/np/ip-${p/\//-}" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	((rc == 0)) || return 1
	np_trace "ADDs done"
	for p in "$@"; do
		read -r "NP_IP[$p]" <"$WT_DIR/np/ip-${p/\//-}"
		NP_BYIP[${NP_IP[$p]}]=$p
		[[ ${NP_IP[$p]} == 10.244.${NP_NODE[$p]}.* ]] || {
			echo "$p got ${NP_IP[$p]}, not an address of node ${NP_NODE[$p]}" >&2
			return 1
		}
	done
}

# np_pods_finish POD...: their status.podIP written (kubelet's status
# update); the matrix grows by them.
np_pods_finish() {
	np_pods_running "$@"
	np_file_write
	NP_PODS+=("$@")
	NP_TARGETS=("${NP_PODS[@]}" "$NP_EXT")
	np_targets
	wait_until 3000 np_all_serving || {
		echo "a netprobe server did not start:" >&2
		grep -L '^ready' "$WT_DIR"/np/srv-*.out | xargs tail >&2
		return 1
	}
}

# np_targets: the probe arguments every pod runs, from NP_TARGETS.
np_targets() {
	local t proto port
	NP_PROBE_ARGS=()
	for t in "${NP_TARGETS[@]}"; do
		for proto in "${NP_PROTOS[@]}"; do
			for port in "${NP_PORTS[@]}"; do
				NP_PROBE_ARGS+=("${NP_IP[$t]}/$proto/$port")
			done
		done
	done
}

netpol_up() {
	local ns p i=0 pods=() t0
	t0=$(now_ms)
	[[ -v CL_WEFTD_ARGS ]] || CL_WEFTD_ARGS=()
	# cluster_up 2, with both weftd starting at once
	cluster_net_up 2
	cluster_weftd_spawn 1
	cluster_weftd_spawn 2
	cluster_weftd_wait 1 && cluster_weftd_wait 2 || return 1
	mkdir -p "$WT_DIR/np"
	np_trace "cluster up"
	NP_PROTOS=(tcp udp)
	if NP_SCTP_WHY=$("$NETPROBE" has-sctp); then
		NP_SCTP=1
		NP_PROTOS+=(sctp)
	fi
	NP_IP[$NP_EXT]=$CL_EXT_IP
	NP_BYIP[$CL_EXT_IP]=$NP_EXT
	np_serve "$CL_EXT" "$NP_EXT"
	for ns in x y z; do
		cluster_namespace_put "$ns" "{\"ns\": \"$ns\"}"
		for p in a b c; do
			NP_NODE[$ns/$p]=$((i % 2 + 1))
			pods+=("$ns/$p")
			i=$((i + 1))
		done
	done
	np_trace "add ${#pods[@]} pods"
	np_pods_wire "${pods[@]}" || return 1
	np_pods_finish "${pods[@]}" || return 1
	np_trace "serving"
	# Everything reaches everything before a test starts: a test's denial
	# is then the policy's doing.
	expect_all allow
	np_converge "$NP_SETTLE_MS" 0 "fixture" || return 1
	np_note "fixture: 2 nodes, ${#NP_PODS[@]} pods serving, full matrix reachable in $(($(now_ms) - t0)) ms"
}

# --- the cluster's objects ---------------------------------------------------

# netpol_apply NAME NS SPEC: NetworkPolicy NAME in NS with SPEC (JSON), created
# or replaced.
netpol_apply() {
	local name=$1 ns=$2 spec=$3 obj
	obj=$(jq -n --arg n "$name" --arg ns "$ns" --argjson s "$spec" \
		'{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		  metadata: {name: $n, namespace: $ns, uid: ("uid-netpol-" + $ns + "-" + $n)},
		  spec: $s}') || {
		echo "netpol_apply $ns/$name: not JSON: $spec" >&2
		return 1
	}
	cl_object_put "40-netpol-$ns-$name" "$obj"
	np_file_write
}

netpol_delete() {
	rm -f "$WT_DIR/objects/40-netpol-$2-$1.json"
	np_file_write
}

# np_object_edit FILE JQ [ARGS...]: FILE's object through jq, written out.
np_object_edit() {
	local name=$1 filter=$2 obj
	shift 2
	obj=$(jq "$@" "$filter" "$WT_DIR/objects/$name.json") || return 1
	cl_object_put "$name" "$obj"
	np_file_write
}

# pod_label_set NS/POD KEY VALUE, pod_label_del NS/POD KEY
pod_label_set() {
	np_object_edit "30-pod-${1%%/*}-${1#*/}" '.metadata.labels[$k] = $v' --arg k "$2" --arg v "$3"
}
pod_label_del() {
	np_object_edit "30-pod-${1%%/*}-${1#*/}" 'del(.metadata.labels[$k])' --arg k "$2"
}
# ns_label_set NS KEY VALUE, ns_label_del NS KEY
ns_label_set() {
	np_object_edit "20-namespace-$1" '.metadata.labels[$k] = $v' --arg k "$2" --arg v "$3"
}
ns_label_del() {
	np_object_edit "20-namespace-$1" 'del(.metadata.labels[$k])' --arg k "$2"
}

# np_pods_on NODE: the pods on NODE, comma-joined (an expect pattern).
np_pods_on() {
	local p out=()
	for p in "${NP_PODS[@]}"; do
		[[ ${NP_NODE[$p]} == "$1" ]] && out+=("$p")
	done
	local IFS=,
	echo "${out[*]}"
}

# --- expectations ------------------------------------------------------------

np_verdict() {
	[[ $1 == allow || $1 == deny ]] || {
		echo "expectation: allow or deny, not '$1'" >&2
		return 1
	}
}

# expect_all allow|deny: every probe (self stays allowed, see the top).
expect_all() {
	np_verdict "$1" || return 1
	awk -v pods="${NP_PODS[*]}" -v targets="${NP_TARGETS[*]}" -v protos="${NP_PROTOS[*]}" \
		-v ports="${NP_PORTS[*]}" -v v="$1" 'BEGIN {
		np = split(pods, P, " "); nt = split(targets, T, " ")
		nr = split(protos, R, " "); no = split(ports, O, " ")
		for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++)
			for (r = 1; r <= nr; r++) for (o = 1; o <= no; o++)
				print P[i], T[j], R[r], O[o], (P[i] == T[j] ? "allow" : v)
	}' >"$WT_DIR/np/exp"
}

# A bash glob (*, ?, [..], [!..]; several joined by commas) as an anchored
# awk regular expression.
NP_GLOB_AWK='
function glob_re(g,    alts, n, k, i, c, re, out, inb) {
	n = split(g, alts, ",")
	for (k = 1; k <= n; k++) {
		re = ""; inb = 0
		for (i = 1; i <= length(alts[k]); i++) {
			c = substr(alts[k], i, 1)
			if (inb) {
				if (c == "]") inb = 0
				else if (c == "!" && substr(alts[k], i - 1, 1) == "[") c = "^"
				re = re c
			} else if (c == "*") re = re ".*"
			else if (c == "?") re = re "."
			else if (c == "[") { inb = 1; re = re c }
			else if (c ~ /[A-Za-z0-9_\/-]/) re = re c
			else re = re "\\" c
		}
		out = out (k > 1 ? "|" : "") "^" re "$"
	}
	return "(" out ")"
}'

# expect allow|deny FROM TO [PROTO [PORT]]: FROM and TO globs on ns/pod
# (comma-separated alternatives), PROTO and PORT globs (default: all).
expect() {
	np_verdict "$1" || return 1
	awk -v v="$1" -v fp="$2" -v tp="$3" -v pp="${4:-*}" -v op="${5:-*}" "$NP_GLOB_AWK"'
	BEGIN { F = glob_re(fp); T = glob_re(tp); R = glob_re(pp); O = glob_re(op) }
	$1 != $2 && $1 ~ F && $2 ~ T && $3 ~ R && $4 ~ O { $5 = v; n++ }
	{ print }
	END { exit n ? 0 : 3 }' "$WT_DIR/np/exp" >"$WT_DIR/np/exp.new" || {
		# a pattern that matches nothing is a typo in the test
		echo "expect $*: matches no probe" >&2
		return 1
	}
	mv "$WT_DIR/np/exp.new" "$WT_DIR/np/exp"
}

# --- probing -------------------------------------------------------------------

# np_probe_round: every pod probes every target, all at once from one
# netprobe process (one start-up per round, not one per pod: starting
# processes is what costs time on a loaded machine); np/got gets allow,
# deny, or wrong (another server answered), with who answered or why not
# (timeout, refused, reset, ...).
np_probe_round() {
	local args=() p byip=() ip
	for p in "${NP_PODS[@]}"; do
		args+=(--from "$p=/run/netns/$(np_netns "$p")" "${NP_PROBE_ARGS[@]}")
	done
	"$NETPROBE" probe --timeout-ms "$NP_TIMEOUT_MS" "${args[@]}" >"$WT_DIR/np/probe" 2>&1 || {
		echo "netprobe probe failed to run:" >&2
		cat "$WT_DIR/np/probe" >&2
		return 1
	}
	for ip in "${!NP_BYIP[@]}"; do byip+=("$ip=${NP_BYIP[$ip]}"); done
	awk -v byip="${byip[*]}" '
	BEGIN {
		n = split(byip, B, " ")
		for (i = 1; i <= n; i++) { split(B[i], kv, "="); NAME[kv[1]] = kv[2] }
	}
	{
		split($2, t, "/")
		to = (t[1] in NAME) ? NAME[t[1]] : "?" t[1]
		v = $3 == "fail" ? "deny" : ($4 == to ? "allow" : "wrong")
		print $1, to, t[2], t[3], v, ($4 == "" ? "-" : $4)
	}' "$WT_DIR/np/probe" >"$WT_DIR/np/got"
}

# np_diff: np/diff and NP_NDIFF, the probes whose result is not the
# expected one.
np_diff() {
	NP_NDIFF=$(awk -v out="$WT_DIR/np/diff" '
	NR == FNR { k = $1 " " $2 " " $3 " " $4; got[k] = $5; why[k] = $6; next }
	{
		k = $1 " " $2 " " $3 " " $4
		g = (k in got) ? got[k] : "missing"
		if (g != $5) { print k, $5, g, (k in why ? why[k] : "-") > out; n++ }
	}
	END { print n + 0 }' "$WT_DIR/np/got" "$WT_DIR/np/exp") || return 1
	((NP_NDIFF > 0)) || : >"$WT_DIR/np/diff"
}

# np_report: the last round against the expectation, on stderr: one grid per
# protocol and port that has a difference, then the differences one by one,
# then what the weftd said that was not routine (a refused cluster file, a
# policy it could not compile).
np_report() {
	local i
	awk -v pods="${NP_PODS[*]}" -v targets="${NP_TARGETS[*]}" -v protos="${NP_PROTOS[*]}" \
		-v ports="${NP_PORTS[*]}" '
	NR == FNR { k = $1 " " $2 " " $3 " " $4; G[k] = $5; W[k] = $6; next }
	{
		k = $1 " " $2 " " $3 " " $4; E[k] = $5; total++
		if (!(k in G)) G[k] = "missing"
		if (G[k] != E[k]) { D[$3 " " $4] = 1; nd++ }
	}
	END {
		np = split(pods, P, " "); nt = split(targets, T, " ")
		nr = split(protos, R, " "); no = split(ports, O, " ")
		printf "matrix: %d of %d probes differ from the expectation (self is always expected reachable)\n", nd, total
		# one grid per protocol and port with a difference; identical grids
		# are printed once, under all their names
		ngr = 0
		for (r = 1; r <= nr; r++) for (o = 1; o <= no; o++) {
			if (!((R[r] " " O[o]) in D)) continue
			grid = ""
			for (i = 1; i <= np; i++) {
				line = sprintf("%-6s", P[i])
				for (j = 1; j <= nt; j++) {
					k = P[i] " " T[j] " " R[r] " " O[o]
					c = G[k] == "allow" ? "." : G[k] == "deny" ? "X" : G[k] == "wrong" ? "?" : "-"
					line = line sprintf(" %s%s  ", c, G[k] == E[k] ? " " : "!")
				}
				grid = grid line "\n"
			}
			if (!(grid in names)) { gorder[++ngr] = grid; names[grid] = "" }
			names[grid] = names[grid] (names[grid] == "" ? "" : " ") R[r] "/" O[o]
		}
		header = sprintf("%-6s", "")
		for (j = 1; j <= nt; j++) { t = T[j]; sub(/\/host$/, "", t); header = header sprintf("%-5s", t) }
		for (g = 1; g <= ngr; g++) {
			printf "%s got: . reached, X blocked, ? another server answered; ! where that is not what was expected (rows from, columns to)\n", names[gorder[g]]
			print header
			printf "%s", gorder[g]
		}
		# then one line per pair and outcome, its probes listed
		ng = 0
		for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++) for (r = 1; r <= nr; r++) for (o = 1; o <= no; o++) {
			k = P[i] " " T[j] " " R[r] " " O[o]
			if (!(k in E) || G[k] == E[k]) continue
			g = P[i] " -> " T[j] ": expected " E[k] ", got " G[k]
			if (!(g in L)) { order[++ng] = g; L[g] = "" }
			L[g] = L[g] " " R[r] "/" O[o]
			if (!index(" " why[g] ",", " " ((k in W) ? W[k] : "no result") ","))
				why[g] = why[g] " " ((k in W) ? W[k] : "no result") ","
		}
		for (n = 1; n <= ng && n <= 40; n++) {
			w = why[order[n]]; sub(/,$/, "", w)
			printf "  %s:%s (%s)\n", order[n], L[order[n]], substr(w, 2)
		}
		if (ng > 40) printf "  ... and %d more\n", ng - 40
	}' "$WT_DIR/np/got" "$WT_DIR/np/exp" >&2
	for i in 1 2; do
		grep -E ' (warn|error): ' "$(cl_node_dir "$i")/weftd.log" 2>/dev/null | tail -5 |
			sed "s/^/node $i weftd: /" >&2
	done
}

# np_converge LIMIT_MS MAX_MS WHAT: probe until two rounds in a row match the
# expectation, counting from the last cluster file write (NP_T_WRITE). Fails
# with the report when that does not happen within LIMIT_MS, or when a round
# that started more than MAX_MS after the write differed (0: no bound).
# NP_LANDED: "after X ms, by Y ms" (the bounds on when the change landed).
np_converge() {
	local limit=$1 max=$2 what=$3 t0 ts te first=-1 last_bad=-1 rounds=0 flaps=0 late
	t0=${NP_T_WRITE:-$(now_ms)}
	while :; do
		ts=$(now_ms)
		np_probe_round || return 1
		te=$(now_ms)
		np_trace "round $((te - ts)) ms"
		rounds=$((rounds + 1))
		np_diff || return 1
		if ((NP_NDIFF == 0)); then
			# one more round: a match must hold, not flicker by
			((first >= 0)) && break
			first=$((ts - t0))
			continue
		fi
		((first >= 0)) && flaps=$((flaps + 1))
		first=-1 last_bad=$((ts - t0))
		if ((te - t0 > limit)); then
			echo "$what: the matrix did not match within $limit ms of the write" \
				"($rounds rounds, the last took $((te - ts)) ms$( ((flaps)) && echo ", matched then differed $flaps times"))" >&2
			np_report
			return 1
		fi
	done
	if ((last_bad < 0)); then
		NP_LANDED="by the first round (+$first ms)"
	else
		NP_LANDED="after +$last_bad ms, by +$first ms"
	fi
	np_note "$what: landed $NP_LANDED after the write ($rounds rounds$( ((flaps)) && echo ", $flaps times matched then differed"))"
	if ((max > 0 && last_bad > max)); then
		late="a round that started $last_bad ms after the write still differed"
		((flaps)) && late+=" (after the matrix had matched: $flaps flaps)"
		echo "$what: $late; a change must take effect within $max ms" >&2
		return 1
	fi
}

# netpol_expect [WHAT]: the expectation, reached in time after the last write.
netpol_expect() {
	np_converge "$NP_CONVERGE_LIMIT_MS" "$NP_LAND_MAX_MS" "${1:-${BATS_TEST_DESCRIPTION:-matrix}}"
}

# netpol_check [WHAT]: one round, which must match at once (no change is in
# flight: the policy must simply still be in force).
netpol_check() {
	np_probe_round || return 1
	np_diff || return 1
	((NP_NDIFF == 0)) && return 0
	echo "${1:-matrix}: the policy is not in force" >&2
	np_report
	return 1
}

# --- watching the matrix while something else happens ------------------------

# np_watch_start: probe rounds back to back in the background until
# np_watch_stop, each compared with the current expectation.
np_watch_start() {
	rm -f "$WT_DIR/np/watch.stop" "$WT_DIR/np/watch.log"
	(
		while [[ ! -e $WT_DIR/np/watch.stop ]]; do
			ts=$(now_ms)
			np_probe_round 2>>"$WT_DIR/np/watch.log" || exit 1
			np_diff || exit 1
			echo "round $ts $(($(now_ms) - ts)) $NP_NDIFF" >>"$WT_DIR/np/watch.log"
			((NP_NDIFF == 0)) || np_report 2>>"$WT_DIR/np/watch.log"
		done
	) 3>&- &
	echo $! >"$WT_DIR/np/watch.pid"
}

np_watch_rounds_at_least() {
	local n
	n=$(grep -c '^round' "$WT_DIR/np/watch.log" 2>/dev/null)
	((${n:-0} >= $1))
}

# np_watch_stop [MIN_ROUNDS]: stop the watch once it has made at least
# MIN_ROUNDS (default 3) rounds, all of which must have matched.
np_watch_stop() {
	local pid rounds bad min=${1:-3}
	pid=$(cat "$WT_DIR/np/watch.pid")
	wait_until 10000 np_watch_rounds_at_least "$min" || true
	touch "$WT_DIR/np/watch.stop"
	wait "$pid" || true
	rm -f "$WT_DIR/np/watch.pid"
	rounds=$(grep -c '^round' "$WT_DIR/np/watch.log" || true)
	bad=$(awk '$1 == "round" && $4 != 0' "$WT_DIR/np/watch.log" | grep -c . || true)
	np_note "watch: $rounds rounds, $bad with a difference"
	if ((bad > 0 || rounds < min)); then
		echo "watch: $rounds rounds ($bad differ; at least $min wanted):" >&2
		cat "$WT_DIR/np/watch.log" >&2
		return 1
	fi
}

# --- one connection held open ------------------------------------------------

# np_hold_start NAME FROM TO PORT: a TCP connection from pod FROM to TO:PORT
# carrying one message every 100 ms (netprobe hold), logged to
# np/hold-NAME.log; returns once it is connected and answered.
np_hold_start() {
	local name=$1 from=$2 to=$3 port=$4 log=$WT_DIR/np/hold-$1.log
	in_np_pod "$from" "$NETPROBE" hold --interval-ms "$NP_HOLD_INTERVAL_MS" \
		"${NP_IP[$to]}" "$port" >"$log" 2>&1 3>&- &
	echo $! >"$WT_DIR/np/hold-$name.pid"
	wait_until 3000 grep -q ' ok ' "$log" || {
		echo "hold $name ($from -> $to:$port) did not get going:" >&2
		cat "$log" >&2
		return 1
	}
	grep -q " connected $to\$" "$log"
}

np_hold_stop() {
	local f=$WT_DIR/np/hold-$1.pid
	[[ -e $f ]] || return 0
	kill "$(cat "$f")" 2>/dev/null
	rm -f "$f"
}

# What a hold's log says about the messages sent since SINCE (ms) and
# judged by NOW (ms): those sent more than a second before NOW have had the
# time to be answered. An echo may come late (a loaded machine), but only a
# cut connection leaves a message unanswered for good. Prints: "answered N
# max_rtt MS unanswered N first_unanswered_sent MS answered_after_it N
# closed MS|-" (-1 for none).
NP_HOLD_AWK='
$2 == "ok" || $2 == "late" { sent[$3] = $1 - $4; ans[$3] = 1; rtt[$3] = $4; if ($3 > top) top = $3 }
$2 == "timeout" && !($3 in sent) { sent[$3] = $1 - iv; if ($3 > top) top = $3 }
($2 == "closed" || $2 == "error") && closed == "" && $1 >= since { closed = $1 }
END {
	first = -1; firstseq = -1
	for (q = 1; q <= top; q++) {
		if (!(q in sent) || sent[q] < since || sent[q] > now - 1000) continue
		if (q in ans) { n++; if (rtt[q] > maxrtt) maxrtt = rtt[q]; if (firstseq >= 0) after++ }
		else { un++; if (firstseq < 0) { firstseq = q; first = sent[q] } }
	}
	# %.0f: %d is 32 bits in mawk, the times are not
	printf "answered %d max_rtt %d unanswered %d first_unanswered_sent %.0f answered_after_it %d closed %.0f\n",
		n, maxrtt, un, first, after, closed == "" ? -1 : closed
}'

np_hold_judge() {
	awk -v since="$2" -v now="$(now_ms)" -v iv="$NP_HOLD_INTERVAL_MS" "$NP_HOLD_AWK" \
		"$WT_DIR/np/hold-$1.log"
}

# np_hold_unbroken NAME SINCE_MS: every message NAME sent since SINCE_MS was
# answered (late is fine, up to a second), the connection never closed.
# Waits until 1.5 s after SINCE_MS, to judge at least a few messages.
np_hold_unbroken() {
	local name=$1 since=$2 n rtt un closed
	while (($(now_ms) < since + 1500)); do sleep 0.1; done
	read -r _ n _ rtt _ un _ _ _ _ _ closed <<<"$(np_hold_judge "$name" "$since")"
	np_note "hold $name: $n messages answered since the change (the slowest in $rtt ms), $un not"
	if ((un > 0 || n < 3 || rtt > 1000 || closed >= 0)); then
		echo "hold $name was disturbed by a change that still allows it (write at $since):" \
			"$n answered, $un unanswered, slowest $rtt ms, closed at $closed" >&2
		awk -v t="$since" '$1 >= t - 300' "$WT_DIR/np/hold-$name.log" >&2
		return 1
	fi
}

# np_hold_cut NAME SINCE_MS [WITHIN_MS]: NAME stopped getting through within
# WITHIN_MS (1000) of SINCE_MS and stayed cut: the first message never
# answered was sent (or the connection was reset) at most WITHIN_MS after
# SINCE_MS, and nothing sent after it was answered. Waits until a second
# after that deadline.
np_hold_cut() {
	local name=$1 since=$2 within=${3:-1000} n un first after closed cut
	while (($(now_ms) < since + within + 1100)); do sleep 0.1; done
	read -r _ n _ _ _ un _ first _ after _ closed <<<"$(np_hold_judge "$name" "$since")"
	cut=$first
	((closed >= 0 && (cut < 0 || closed < cut))) && cut=$closed
	if ((cut < 0)); then
		echo "hold $name: never cut after the change at $since ($n messages answered since):" >&2
		awk -v t="$since" '$1 >= t - 300' "$WT_DIR/np/hold-$name.log" | head -40 >&2
		return 1
	fi
	np_note "hold $name: cut $((cut - since)) ms after the write ($n messages answered before)"
	if ((cut - since > within || after > 0)); then
		echo "hold $name: cut $((cut - since)) ms after the write (at most $within)," \
			"$after messages answered after the first unanswered one:" >&2
		awk -v t="$since" '$1 >= t - 300' "$WT_DIR/np/hold-$name.log" | head -40 >&2
		return 1
	fi
}
