#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# manifests/*.yaml, offline: every object against the Kubernetes v1.33
# OpenAPI schema of its kind (tests/manifests/validate.cjs, kubernetes-models
# installed by `make deps` into $OUTPUT/npm), a copy with a typo refused, and
# what the weft manifest promises: read-only RBAC on what weftd reads,
# weftd unprivileged with its capabilities, probes, node-by-node updates.
# Needs node and the npm packages only: no cluster, no root, no network.

: "${WEFT_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${OUTPUT:=$WEFT_SRC/.output}"
VALIDATE=$WEFT_SRC/tests/manifests/validate.cjs
MANIFEST=$WEFT_SRC/manifests/weft.yaml

setup() {
	command -v node >/dev/null || skip "node is not installed (make deps installs it)"
	[[ -d $OUTPUT/npm/node_modules/kubernetes-models ]] ||
		skip "kubernetes-models is not in $OUTPUT/npm (make deps installs it)"
	TMP=$(mktemp -d)
}

teardown() {
	if [[ -n ${TMP:-} ]]; then rm -rf "$TMP"; fi
}

validate() { node "$VALIDATE" --modules "$OUTPUT/npm" "$@"; }

# objects: the manifest's objects as one JSON array (for jq).
objects() { validate --json "$MANIFEST" 2>/dev/null; }
daemonset() { objects | jq -c '.[] | select(.kind == "DaemonSet")'; }
weftd() { daemonset | jq -c '.spec.template.spec.containers[] | select(.name == "weftd")'; }

# typo NAME SED: a copy of the manifest edited by SED (which must change it)
typo() {
	sed -e "$2" "$MANIFEST" >"$TMP/$1.yaml"
	! cmp -s "$MANIFEST" "$TMP/$1.yaml" || {
		echo "the edit '$2' no longer matches $MANIFEST: update this test"
		return 1
	}
}

@test "manifests: every object passes the Kubernetes v1.33 schema of its kind" {
	run validate "$WEFT_SRC"/manifests/*.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *error* ]]
	# The five objects of weft.yaml, each seen.
	for o in "ServiceAccount kube-system/weft" "ClusterRole weft" "ClusterRoleBinding weft" \
		"ConfigMap kube-system/weft-config" "DaemonSet kube-system/weft"; do
		grep -qx "ok $MANIFEST: $o" <<<"$output"
	done
}

@test "manifests: a misspelled, missing or mistyped field fails, naming the object and the path" {
	# Misspelled optional fields: the schema alone would pass over them.
	typo deep 's/^\(          \)imagePullPolicy: IfNotPresent/\1imagePullPolicey: IfNotPresent/'
	typo top 's/^  updateStrategy:/  updateStrategie:/'
	typo meta 's/^  namespace: kube-system/  namespce: kube-system/'
	# A required field missing, a wrong type, a value outside its enum.
	typo required '/^  apiGroup: rbac.authorization.k8s.io$/,/^  name: weft$/{/^  name: weft$/d}'
	typo type 's/hostNetwork: true/hostNetwork: "yes"/'
	typo enum 's/mountPropagation: HostToContainer/mountPropagation: HostToHost/'
	typo kind 's/^kind: DaemonSet$/kind: DaemonSett/'
	# Beyond the schema: what the API server or the node would refuse.
	typo bidi 's/mountPropagation: HostToContainer/mountPropagation: Bidirectional/'
	typo cap 's/add: \[NET_ADMIN, BPF/add: [NET_ADMN, BPF/'
	typo conflist 's/"cniVersion": "1.0.0",/"cniVersion": "1.0.0"/'

	local -A want=(
		[deep]='DaemonSet kube-system/weft: .spec.template.spec.containers[0].imagePullPolicey: unknown field'
		[top]='DaemonSet kube-system/weft: .spec.updateStrategie: unknown field'
		[meta]='ServiceAccount weft: .metadata.namespce: unknown field'
		[required]='ClusterRoleBinding weft: .roleRef must have required property name'
		[type]='DaemonSet kube-system/weft: .spec.template.spec.hostNetwork must be boolean'
		[enum]='DaemonSet kube-system/weft: .spec.template.spec.containers[0].volumeMounts[0].mountPropagation must be equal to one of the allowed values'
		[kind]='DaemonSett kube-system/weft: no schema for apiVersion "apps/v1" kind "DaemonSett"'
		[bidi]='container weftd: mountPropagation Bidirectional needs privileged: true'
		[cap]='container weftd: capabilities.add: unknown capability "NET_ADMN"'
		[conflist]='ConfigMap kube-system/weft-config: data.10-weft.conflist: not JSON'
	)
	local t
	for t in "${!want[@]}"; do
		run validate "$TMP/$t.yaml"
		echo "# $t: $output"
		[ "$status" -eq 1 ]
		[[ $output == *"${want[$t]}"* ]]
	done
	# A YAML error (a key twice) is one too.
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n' >"$TMP/dup.yaml"
	run validate "$TMP/dup.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"Map keys must be unique"* ]]
}

@test "manifests: weft's ClusterRole reads nodes, namespaces, pods and networkpolicies, and nothing else" {
	run objects
	[ "$status" -eq 0 ]
	local rules
	rules=$(jq -c '[.[] | select(.kind == "ClusterRole") | .rules[] |
		{g: .apiGroups, r: (.resources | sort), v: (.verbs | sort), n: (.resourceNames // null), u: (.nonResourceURLs // null)}]' <<<"$output")
	echo "$rules"
	[ "$rules" = '[{"g":[""],"r":["namespaces","nodes","pods"],"v":["get","list","watch"],"n":null,"u":null},{"g":["networking.k8s.io"],"r":["networkpolicies"],"v":["get","list","watch"],"n":null,"u":null}]' ]
	# Bound to weft's ServiceAccount, which the DaemonSet runs as.
	[ "$(jq -c '.[] | select(.kind == "ClusterRoleBinding") | [.roleRef.name, .subjects]' <<<"$output")" = \
		'["weft",[{"kind":"ServiceAccount","name":"weft","namespace":"kube-system"}]]' ]
	[ "$(daemonset | jq -r '.spec.template.spec.serviceAccountName')" = weft ]
}

@test "manifests: weftd runs in-cluster, unprivileged with its capabilities, probed, node by node" {
	local ds w
	ds=$(daemonset)
	w=$(weftd)
	# No kubectl sidecar and no cluster file: weftd is the API client.
	[ "$(jq '.spec.template.spec.containers | length' <<<"$ds")" = 1 ]
	[[ $(jq -r '.args | join(" ")' <<<"$w") != *--cluster-file* ]]
	# hostNetwork, every node, node-critical, one node at a time.
	[ "$(jq -c '.spec.template.spec | [.hostNetwork, .tolerations, .priorityClassName]' <<<"$ds")" = \
		'[true,[{"operator":"Exists"}],"system-node-critical"]' ]
	[ "$(jq -c '.spec.updateStrategy' <<<"$ds")" = \
		'{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}}' ]
	# Not privileged: all capabilities dropped, these four added.
	[ "$(jq -c '.securityContext | [.privileged // false, .capabilities.drop, (.capabilities.add | sort)]' <<<"$w")" = \
		'[false,["ALL"],["BPF","NET_ADMIN","PERFMON","SYS_ADMIN"]]' ]
	# Only the bpffs init container is privileged, and it only mounts.
	[ "$(jq -c '[.spec.template.spec.initContainers[] | select(.securityContext.privileged) | .name]' <<<"$ds")" = '["mount-bpffs"]' ]
	# Probes on weftd's /readyz and /healthz, served on the node's address;
	# a memory request, no memory limit.
	[ "$(jq -c '[.readinessProbe.httpGet, .livenessProbe.httpGet]' <<<"$w")" = \
		'[{"path":"/readyz","port":"metrics"},{"path":"/healthz","port":"metrics"}]' ]
	[ "$(jq -c '[.ports[] | select(.name == "metrics") | .containerPort]' <<<"$w")" = '[9962]' ]
	[[ $(jq -r '.args[]' <<<"$w") == *"--metrics-addr=\$(HOST_IP):9962"* ]]
	[ "$(jq -r '.env[] | select(.name == "HOST_IP") | .valueFrom.fieldRef.fieldPath' <<<"$w")" = status.hostIP ]
	[ "$(jq -c '[.resources.requests.memory != null, .resources.limits.memory // null]' <<<"$w")" = '[true,null]' ]
	# The mounts weftd needs, and the host paths behind them.
	[ "$(jq -c '[.volumeMounts[] | .mountPath] | sort' <<<"$w")" = '["/run/weft","/sys/fs/bpf","/var/lib/weft"]' ]
	[ "$(jq -c '[.spec.template.spec.volumes[] | .hostPath.path // empty] | sort' <<<"$ds")" = \
		'["/etc/cni/net.d","/opt/cni/bin","/run/weft","/sys/fs/bpf","/var/lib/weft"]' ]
	# Every container runs the local image, never pulled.
	[ "$(jq -c '[.spec.template.spec | .initContainers[], .containers[] | [.image, .imagePullPolicy]] | unique' <<<"$ds")" = \
		'[["localhost/weft:latest","IfNotPresent"]]' ]
}

@test "manifests: the conflist names a cniVersion the plugin speaks and weftd's socket" {
	local conf
	conf=$(objects | jq -r '.[] | select(.kind == "ConfigMap") | .data["10-weft.conflist"]')
	[ -x "$OUTPUT/weft" ] || skip "the plugin is not built ($OUTPUT/weft)"
	run bash -c "echo '{\"cniVersion\":\"1.1.0\"}' | CNI_COMMAND=VERSION $OUTPUT/weft"
	[ "$status" -eq 0 ]
	jq -e --arg v "$(jq -r .cniVersion <<<"$conf")" '.supportedVersions | index($v)' <<<"$output"
	# and every one a newer libcni may pick from cniVersions
	local v
	for v in $(jq -r '.cniVersions[]' <<<"$conf"); do
		jq -e --arg v "$v" '.supportedVersions | index($v)' <<<"$output"
	done
	[ "$(jq -r '.plugins[0] | [.type, .socket] | join(" ")' <<<"$conf")" = "weft /run/weft/weftd.sock" ]
	# The socket weftd serves is the one the plugin is told.
	[[ " $(weftd | jq -r '.args | join(" ")') " == *" --socket=/run/weft/weftd.sock "* ]]
}
