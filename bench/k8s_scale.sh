#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weftd's Kubernetes API source at scale (figures, not a test): a stand-in API
# server (tests/tools/kube_standin.py, HTTPS on the node namespace's loopback)
# serves NODES nodes and PODS pods in pages of 500, and flips a label on one pod
# every 0.5 s on the pods watch. weftd lists and watches them with its real
# observers (the overlay's routes and ipcache, identities, the policy engine).
# Prints: start to ready (every kind listed and applied), the list and apply
# times weftd logs, weftd's RSS, and the time one pod event takes to apply.
#   NODES=5000 PODS=150000 bench/k8s_scale.sh
# STREAM=1: the stand-in offers the streaming list (sendInitialEvents), which
# weftd then uses instead of 300 pages.
# PERF=FILE: perf record (call graphs by frame pointer) of weftd from start
# to ready into FILE; build with CFLAGS='-g -O2 -fno-omit-frame-pointer'.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
NODES=${NODES:-5000}
PODS=${PODS:-150000}
SRV_PID=

cleanup() {
	[[ -n $SRV_PID ]] && kill "$SRV_PID" 2>/dev/null
	bench_cleanup
}
trap cleanup EXIT

ip netns add "$NODE"
ip -n "$NODE" link set lo up
# node-00000's InternalIP (the overlay's local address) lives on the node.
ip -n "$NODE" addr add 172.16.0.1/32 dev lo
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=standin \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$BDIR/key.pem" -out "$BDIR/cert.pem" 2>/dev/null
# nsenter execs python: $! is the server itself, which cleanup() ends.
nsenter --net="/run/netns/$NODE" python3 tests/tools/kube_standin.py --cert "$BDIR/cert.pem" --key "$BDIR/key.pem" \
	--port 6443 --nodes "$NODES" --pods "$PODS" --event-every 0.5 ${STREAM:+--watch-list} >"$BDIR/standin.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 600); do grep -q ready "$BDIR/standin.log" && break; sleep 0.1; done
cat "$BDIR/standin.log"
cat >"$BDIR/kubeconfig" <<-YAML
current-context: bench
contexts: [{name: bench, context: {cluster: standin, user: weftd}}]
clusters: [{name: standin, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$BDIR/cert.pem"}}]
users: [{name: weftd, user: {token: bench}}]
YAML

t0=$EPOCHREALTIME
nsenter --net="/run/netns/$NODE" "$OUTPUT/weftd" --node-name node-00000 --kubeconfig "$BDIR/kubeconfig" \
	--state-dir "$BDIR/state" --bpffs "$BPFFS" --socket "$SOCK" --bpf-dir "$OUTPUT/bpf" \
	--log-level info 2>>"$BDIR/weftd.log" &
WEFTD_PID=$!
PERF_PID=
if [[ -n ${PERF:-} ]]; then
	perf record -q -g -F 499 -o "$PERF" -p "$WEFTD_PID" 2>/dev/null &
	PERF_PID=$!
fi
st() { "$OUTPUT/weftctl" --socket "$SOCK" -o json status 2>/dev/null; }
# Ready when all four kinds are listed and applied. Watched in weftd's log,
# not with `status`, whose map usage walks every ipcache entry (160,000
# syscalls) and would slow the loop it measures.
for _ in $(seq 6000); do
	(($(grep -c "Kubernetes API: listed" "$BDIR/weftd.log") >= 4)) && break
	kill -0 "$WEFTD_PID" || { cat "$BDIR/weftd.log"; exit 1; }
	sleep 0.02
done
ready_ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
[[ -n $PERF_PID ]] && kill -INT "$PERF_PID" && wait "$PERF_PID"
grep -E "listed (nodes|pods) in" "$BDIR/weftd.log" | sed 's/^.*Kubernetes API: /  weftd: /'
[[ $(st | jq -r .ready) == true ]]
echo "start to ready (all four kinds listed and applied): $ready_ms ms (load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs)"
# CPU time is what the sync costs whatever else the machine does: the
# watcher thread (fetch, TLS, parse) and the loop (apply) together.
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$WEFTD_PID/stat")
echo "weftd CPU time from start to ready (both threads): $cpu s"
rss() { awk -v k="$1" '$1 == k":" { printf "%.0f MiB", $2 / 1024 }' "/proc/$WEFTD_PID/status"; }
echo "weftd RSS after the sync: $(rss VmRSS) (peak $(rss VmHWM))"
# Pod events: one every 0.5 s for 10 s.
sleep 10
st | jq -r '.cluster.objects as $o | .cluster.kinds.pods as $p |
	"model: \($o.nodes) nodes, \($o.pods) pods; pod events applied: \($p.events), last \($p.lastEventMicros) us, max \($p.maxEventMicros) us (model + ipcache + identities + policy marks)",
	"ipcache entries: \(.overlay.ipcacheEntries)"'
echo "weftd RSS after the events: $(rss VmRSS) (peak $(rss VmHWM))"
