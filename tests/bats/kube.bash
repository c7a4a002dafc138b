# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A real kube-apiserver (v1.24, with etcd from Debian's etcd-server) for the
# suites that test weftd's Kubernetes API source. Load after helpers.bash.
# The binaries and scripts live outside the repository, in ../shared/kube
# (WEFT_KUBE_DIR overrides); where they are not, kube_missing names what is
# missing and kube_skip_unless_available skips with it.
#
#   api netns  $KUBE_NS  bridge kbr0 203.0.113.1/24 (TEST-NET-3): etcd on its
#              loopback, the API server on 203.0.113.1 with RBAC on
#   a node     kube_node_link: a veth from the test's node namespace to kbr0,
#              203.0.113.<n>/24 on the node's side
#
# Users: "admin" (system:masters, the tests' own calls through kapi) and
# "weftd" (group weft-nodes, tokens $KUBE_WEFTD_TOKEN and $KUBE_WEFTD_TOKEN2),
# which holds only the ClusterRole weft-node: get, list and watch on nodes,
# namespaces, pods and networkpolicies, the rights the manifest grants.
# Nothing leaves the namespaces: the tests' curl runs inside $KUBE_NS.

KUBE_SRC=${WEFT_KUBE_DIR:-$WEFT_SRC/../shared/kube}
# In a git worktree elsewhere, ../shared is the main checkout's neighbour.
if [[ -z ${WEFT_KUBE_DIR:-} && ! -d $KUBE_SRC ]]; then
	KUBE_SRC=$(git -C "$WEFT_SRC" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/kube
fi
KUBE_IP=203.0.113.1
KUBE_ADMIN_TOKEN=weft-test-token
KUBE_WEFTD_TOKEN=weftd-token-one
KUBE_WEFTD_TOKEN2=weftd-token-two
# User weftd-partial (group weft-partial): nodes only, unless a test grants more.
KUBE_PARTIAL_TOKEN=weftd-token-partial

# kube_missing: what is missing for these suites, the first piece only
# (nothing when all is there).
kube_missing() {
	local what
	for what in "$KUBE_SRC/kube-apiserver" "$KUBE_SRC/start.sh" "$KUBE_SRC/stop.sh"; do
		[[ -x $what ]] || { echo "no $what (../shared/kube: a real kube-apiserver for these tests)"; return; }
	done
	command -v etcd >/dev/null || [[ -x /usr/bin/etcd ]] || { echo "no etcd (Debian: etcd-server)"; return; }
	for what in openssl curl python3 jq; do
		command -v "$what" >/dev/null || { echo "no $what"; return; }
	done
}

# kube_skip_unless_available: skip the test naming the first missing piece.
# From a test or setup() only: bats 1.8 counts a skip in setup_file as a
# failure (a file-wide fixture records kube_missing there and skips in
# setup, as kubenode.bash does).
kube_skip_unless_available() {
	local why
	why=$(kube_missing)
	[[ -z $why ]] || skip "$why"
}

# kube_tokens WEFTD_TOKENS...: KUBE_EXTRA_TOKENS lines for user weftd, and
# the partial user's.
kube_tokens() {
	local t out="$KUBE_PARTIAL_TOKEN,weftd-partial,uid-partial,weft-partial"
	for t in "$@"; do out+=";$t,weftd,uid-weftd,weft-nodes"; done
	echo "$out"
}

# kube_up: the api namespace and the API server in it (KUBE_DIR: its state),
# with weftd's RBAC. About 5 s; once per file (setup_file).
kube_up() {
	KUBE_NS=wtk$$api
	KUBE_DIR=$(mktemp -d "/tmp/weft-kube.XXXX")
	export KUBE_NS KUBE_DIR
	ip netns add "$KUBE_NS"
	ip -n "$KUBE_NS" link set lo up
	ip -n "$KUBE_NS" link add kbr0 type bridge
	ip -n "$KUBE_NS" addr add "$KUBE_IP/24" dev kbr0
	ip -n "$KUBE_NS" link set kbr0 up
	kube_start
	kube_rbac
}

# kube_start [TOKENS...]: (re)start etcd and the API server with weftd's
# TOKENS (default: both). KEEP_DATA=1 keeps the cluster (an outage, not a
# new cluster).
kube_start() {
	(($#)) || set -- "$KUBE_WEFTD_TOKEN" "$KUBE_WEFTD_TOKEN2"
	# start.sh gives the server 30 s to say ready; on a loaded machine it may
	# need longer, so a late one is waited for here (and its log shown when
	# it never comes).
	# The namespace is the server's own: the usual port is free there.
	KUBE_EXTRA_TOKENS=$(kube_tokens "$@") KUBE_BIND=$KUBE_IP KUBE_TOKEN=$KUBE_ADMIN_TOKEN \
		KUBE_PORT=6443 nsenter --net="/run/netns/$KUBE_NS" "$KUBE_SRC/start.sh" "$KUBE_DIR" \
		>/dev/null || true
	KUBE_SERVER=https://$KUBE_IP:6443
	export KUBE_SERVER
	for _ in $(seq 120); do
		kube_alive && return 0
		sleep 0.5
	done
	echo "kube-apiserver did not come up; its log ends:" >&2
	tail -20 "$KUBE_DIR/logs/kube-apiserver.log" >&2
	return 1
}

# kube_stop: the API server and etcd, data kept.
kube_stop() { "$KUBE_SRC/stop.sh" "$KUBE_DIR" >/dev/null; }

# kube_apiserver_stop / kube_apiserver_start: the API server alone, etcd up
# (an API server outage during which etcd can be compacted).
kube_apiserver_stop() {
	local pid
	pid=$(cat "$KUBE_DIR/kube-apiserver.pid")
	kill "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

# kube_alive: the API server answers.
kube_alive() { [[ $(kapi_as "$KUBE_ADMIN_TOKEN" /readyz 2>/dev/null) == 200 ]]; }

kube_down() {
	[[ -n ${KUBE_DIR:-} ]] || return 0
	"$KUBE_SRC/stop.sh" "$KUBE_DIR" >/dev/null 2>&1 || true
	ip netns del "$KUBE_NS" 2>/dev/null || true
	rm -rf "$KUBE_DIR"
}

# kapi METHOD PATH [BODY [CONTENT-TYPE]]: the API as admin; prints the reply,
# fails on an HTTP error.
kapi() {
	local method=$1 path=$2 body=${3:-} ctype=${4:-application/json}
	nsenter --net="/run/netns/$KUBE_NS" curl -sS --fail-with-body --cacert "$KUBE_DIR/certs/apiserver.crt" \
		-H "Authorization: Bearer $KUBE_ADMIN_TOKEN" -H "Content-Type: $ctype" \
		-X "$method" ${body:+--data-binary "$body"} "$KUBE_SERVER$path"
}

# kapply PATH JSON: create, or replace when it exists (what `kubectl apply`
# amounts to here).
kapply() {
	local path=$1 obj=$2 name
	name=$(jq -r .metadata.name <<<"$obj")
	kapi POST "$path" "$obj" >/dev/null 2>&1 || kapi PUT "$path/$name" \
		"$(jq --arg rv "$(kapi GET "$path/$name" | jq -r .metadata.resourceVersion)" \
			'.metadata.resourceVersion = $rv' <<<"$obj")" >/dev/null
}

kstatus() { kapi PATCH "$1/status" "$2" application/merge-patch+json >/dev/null; }

kube_rbac() {
	kapply /apis/rbac.authorization.k8s.io/v1/clusterroles '{"apiVersion":
		"rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "weft-node"},
		"rules": [{"apiGroups": [""], "resources": ["nodes", "namespaces", "pods"],
			"verbs": ["get", "list", "watch"]},
		{"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"],
			"verbs": ["get", "list", "watch"]}]}'
	kapply /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":
		"rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": {"name": "weft-node"},
		"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "weft-node"},
		"subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "weft-nodes"}]}'
	kapply /apis/rbac.authorization.k8s.io/v1/clusterroles '{"apiVersion":
		"rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "weft-nodes-only"},
		"rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]}'
	kube_bind weft-partial weft-nodes-only weft-partial
}

# kube_bind BINDING ROLE GROUP: a ClusterRoleBinding of ROLE to GROUP.
kube_bind() {
	kapply /apis/rbac.authorization.k8s.io/v1/clusterrolebindings "$(jq -n --arg b "$1" --arg r "$2" \
		--arg g "$3" '{apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding",
		metadata: {name: $b},
		roleRef: {apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: $r},
		subjects: [{apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: $g}]}')"
}

# kapi_as TOKEN PATH: a GET as another user; prints the HTTP code.
kapi_as() {
	nsenter --net="/run/netns/$KUBE_NS" curl -sS -o /dev/null -w '%{http_code}' \
		--cacert "$KUBE_DIR/certs/apiserver.crt" -H "Authorization: Bearer $1" "$KUBE_SERVER$2"
}

# kube_node_link N: the test's node namespace on kbr0 as 203.0.113.N.
kube_node_link() {
	local n=$1
	ip link add k8s0 netns "$NODE" type veth peer name "k$WT_ID" netns "$KUBE_NS"
	ip -n "$KUBE_NS" link set "k$WT_ID" master kbr0 up
	ip -n "$NODE" addr add "203.0.113.$n/24" dev k8s0
	ip -n "$NODE" link set k8s0 up
}

# kube_kubeconfig FILE TOKEN_FILE: weftd's kubeconfig, with a token file.
kube_kubeconfig() {
	cat >"$1" <<-YAML
	apiVersion: v1
	kind: Config
	clusters:
	- name: test
	  cluster:
	    server: "$KUBE_SERVER"
	    certificate-authority: "$KUBE_DIR/certs/apiserver.crt"
	users:
	- name: weftd
	  user:
	    tokenFile: "$2"
	contexts:
	- name: test
	  context: {cluster: test, user: weftd}
	current-context: test
	YAML
}

# --- objects, as kubelet and the controllers would write them ----------------

# kube_node NAME IP CIDR: a Node with spec.podCIDR and an InternalIP.
kube_node() {
	kapply /api/v1/nodes "$(jq -n --arg n "$1" --arg cidr "$3" '{apiVersion: "v1", kind: "Node",
		metadata: {name: $n, labels: {"kubernetes.io/hostname": $n}},
		spec: {podCIDR: $cidr, podCIDRs: [$cidr]}}')"
	kstatus "/api/v1/nodes/$1" "$(jq -n --arg ip "$2" --arg n "$1" \
		'{status: {addresses: [{type: "InternalIP", address: $ip}, {type: "Hostname", address: $n}]}}')"
}

kube_namespace() {
	kapply /api/v1/namespaces "$(jq -n --arg n "$1" --argjson l "${2:-{\}}" \
		'{apiVersion: "v1", kind: "Namespace", metadata: {name: $n, labels: $l}}')"
}

# kube_pod NS NAME NODE LABELS [IP]: a Pod scheduled to NODE; with IP, also
# Running with that IP (what kubelet reports after the ADD).
kube_pod() {
	local ns=$1 name=$2 node=$3 labels=$4 ip=${5:-}
	kapply "/api/v1/namespaces/$ns/pods" "$(jq -n --arg ns "$ns" --arg n "$name" --arg node "$node" \
		--argjson l "$labels" '{apiVersion: "v1", kind: "Pod",
		metadata: {name: $n, namespace: $ns, labels: $l},
		spec: {nodeName: $node, containers: [{name: "c", image: "none",
			ports: [{containerPort: 8080, protocol: "TCP"}]}]}}')"
	[[ -z $ip ]] || kube_pod_running "$ns" "$name" "$ip"
}

kube_pod_running() {
	kstatus "/api/v1/namespaces/$1/pods/$2" "$(jq -n --arg ip "$3" \
		'{status: {phase: "Running", podIP: $ip, podIPs: [{ip: $ip}]}}')"
}

kube_delete() { kapi DELETE "$1" >/dev/null; }

# kube_delete_pods NS SELECTOR: now (no kubelet confirms a graceful delete).
kube_delete_pods() {
	kapi DELETE "/api/v1/namespaces/$1/pods?labelSelector=$2&gracePeriodSeconds=0" >/dev/null
}

# kube_etcd_compact: compact etcd at its current revision through etcd's JSON
# gateway (no etcdctl needed): every older resourceVersion and continue token
# expires.
kube_etcd_compact() {
	local port rev
	port=$(nsenter --net="/run/netns/$KUBE_NS" ss -ltnpH | awk '/etcd/ && /127.0.0.1/ { split($4, a, ":"); print a[2] }' |
		while read -r p; do
			nsenter --net="/run/netns/$KUBE_NS" curl -fsS "http://127.0.0.1:$p/health" >/dev/null 2>&1 && { echo "$p"; break; }
		done)
	rev=$(nsenter --net="/run/netns/$KUBE_NS" curl -fsS -X POST "http://127.0.0.1:$port/v3/kv/range" \
		-d '{"key": "AA=="}' | jq -r .header.revision)
	nsenter --net="/run/netns/$KUBE_NS" curl -fsS -X POST "http://127.0.0.1:$port/v3/kv/compaction" \
		-d "{\"revision\": \"$rev\", \"physical\": true}" >/dev/null
	echo "$rev"
}
