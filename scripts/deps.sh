#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Install what weft needs to build and test on Debian 12 (bookworm), and build
# cnitool (a real libcni client) from Debian's golang-github-appc-cni source.
# Quick when everything is there: it only asks dpkg, and installs nothing.
#
#   scripts/deps.sh            everything: build, tests, demo, benchmarks, image,
#                              cnitool, and the manifest check's npm packages
#   scripts/deps.sh --build    only what `make all` needs (the image's build stage)
#   scripts/deps.sh --runtime  only what the binaries need to run (the image's
#                              last stage)
set -euo pipefail

OUTPUT=${OUTPUT:-.output}
CNITOOL=$OUTPUT/cnitool
# The manifest check's npm packages (tests/manifests/package-lock.json) go
# here, never into a global node_modules.
NPM_DIR=$OUTPUT/npm
SRC=$(cd "$(dirname "$0")/.." && pwd)

# name:minimum-version (empty = any). libbpf and bpftool come from backports.
# What `make all` needs.
BUILD_PKGS=(clang llvm gcc make pkg-config libelf-dev zlib1g-dev libjansson-dev
            libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libyaml-dev libcap-dev)
BUILD_BACKPORTS_PKGS=(libbpf-dev:1:1.4 bpftool:7.4)
# What weftd, weftctl and the plugin need to run: the libraries they link
# (manifests/Containerfile checks with ldd that none is missing), nft for
# weftd's SNAT table, iproute2 for an operator's `kubectl exec ... ip`.
# libcurl4 and libyaml-0-2: weftd's Kubernetes API client (issue 11); libcap2:
# weftd drops the capabilities it does not use.
RUNTIME_PKGS=(libjansson4 libnl-3-200 libnl-route-3-200 libelf1 zlib1g libcurl4
              libyaml-0-2 libcap2 nftables iproute2)
RUNTIME_BACKPORTS_PKGS=(libbpf1:1:1.4)
# The tests, the demo, the benchmarks, make test-fresh and make image on top
# (podman builds the image; etcd-server, containerd and busybox-static run
# ../shared/kube's API server and kubelet nodes; python3 the stand-in API
# server; curl the API server tests' requests; prometheus for promtool, which
# checks /metrics; libclang-rt-14-dev has clang's libFuzzer and sanitizer
# runtimes for the fuzz harnesses; nodejs, npm and kubectl are checked apart,
# below).
TEST_PKGS=(iproute2 util-linux bats jq libclang-rt-14-dev
      iperf3 golang-go golang-github-appc-cni-dev containernetworking-plugins
      dpkg-dev procps iputils-ping iputils-arping ethtool netcat-openbsd iptables
      nftables debootstrap podman runc etcd-server python3 containerd busybox-static
      curl prometheus libcap2-bin)

mode=all
case ${1:-} in
"") ;;
--build) mode=build ;;
--runtime) mode=runtime ;;
*)
	echo "usage: scripts/deps.sh [--build|--runtime]" >&2
	exit 2
	;;
esac

# An image stage installs what it needs and nothing it would only recommend.
APT_INSTALL=(apt-get install -y -qq)
case $mode in
all)
	PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
	BACKPORTS_PKGS=("${BUILD_BACKPORTS_PKGS[@]}")
	;;
build)
	PKGS=("${BUILD_PKGS[@]}")
	BACKPORTS_PKGS=("${BUILD_BACKPORTS_PKGS[@]}")
	APT_INSTALL+=(--no-install-recommends)
	;;
runtime)
	PKGS=("${RUNTIME_PKGS[@]}")
	BACKPORTS_PKGS=("${RUNTIME_BACKPORTS_PKGS[@]}")
	APT_INSTALL+=(--no-install-recommends)
	;;
esac

say() { printf 'deps: %s\n' "$*" >&2; }

installed_version() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "ii" { print $2 }'
}

# missing NAME[:MINVER] -> true when the package is absent or too old
missing() {
	local name=${1%%:*} min=
	[[ $1 == *:* ]] && min=${1#*:}
	local have
	have=$(installed_version "$name")
	[[ -z $have ]] && return 0
	[[ -z $min ]] && return 1
	dpkg --compare-versions "$have" ge "$min" && return 1
	return 0
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		say "missing packages: $*; run 'make deps' as root"
		exit 1
	fi
}

apt_updated=0
apt_update() {
	((apt_updated)) && return 0
	apt-get update -qq
	apt_updated=1
}

# The Debian archive apt already uses (a local mirror or proxy works as is).
debian_mirror() {
	"$(dirname "$0")/debian-mirror.sh"
}

ensure_backports() {
	local f=/etc/apt/sources.list.d/weft-bookworm-backports.sources mirror
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		mirror=$(debian_mirror)
		say "adding bookworm-backports from $mirror ($f)"
		cat >"$f" <<-SRC
		Types: deb
		URIs: $mirror
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		SRC
		apt_updated=0
	fi
}

ensure_deb_src() {
	local f=/etc/apt/sources.list.d/weft-bookworm-src.sources mirror
	if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		mirror=$(debian_mirror)
		say "adding deb-src for bookworm from $mirror ($f)"
		cat >"$f" <<-SRC
		Types: deb-src
		URIs: $mirror
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		SRC
		apt_updated=0
	fi
}

todo=() bp_todo=()
for p in "${PKGS[@]}"; do missing "$p" && todo+=("${p%%:*}"); done
for p in "${BACKPORTS_PKGS[@]}"; do missing "$p" && bp_todo+=("${p%%:*}"); done

if ((${#todo[@]} + ${#bp_todo[@]})); then
	need_root "${todo[@]}" "${bp_todo[@]}"
	export DEBIAN_FRONTEND=noninteractive
	if ((${#bp_todo[@]})); then
		ensure_backports
		apt_update
		say "installing from bookworm-backports: ${bp_todo[*]}"
		"${APT_INSTALL[@]}" -t bookworm-backports "${bp_todo[@]}" >/dev/null
	fi
	if ((${#todo[@]})); then
		apt_update
		say "installing: ${todo[*]}"
		"${APT_INSTALL[@]}" "${todo[@]}" >/dev/null
	fi
	for p in "${PKGS[@]}" "${BACKPORTS_PKGS[@]}"; do
		if missing "$p"; then
			say "still missing after install: $p"
			exit 1
		fi
	done
fi

[[ $mode == all ]] || exit 0

# cnitool: Debian ships libcni as source (golang-github-appc-cni-dev) but not the
# cnitool command; build it from the source package in GOPATH mode, offline.
if [[ ! -x $CNITOOL ]]; then
	need_root cnitool
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	ensure_deb_src
	apt_update
	say "building cnitool from Debian's golang-github-appc-cni source"
	(cd "$work" && apt-get source -qq --download-only golang-github-appc-cni >/dev/null 2>&1)
	tar -C "$work" -xf "$work"/golang-github-appc-cni_*.orig.tar.*
	mkdir -p "$work/gopath/src/cnitool" "$(dirname "$CNITOOL")"
	cp "$work"/golang-github-appc-cni-*/cnitool/*.go "$work/gopath/src/cnitool/"
	(cd "$work/gopath/src/cnitool" &&
		GOPATH="$work/gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= \
		GOCACHE="$work/cache" GOPROXY=off go build -o "$(realpath -m "$CNITOOL")" .)
	say "built $CNITOOL"
fi

# kubectl for the real kubelet nodes (../shared/kube/node.sh waits for its Node
# with it; the tests apply objects with it): Debian's kubernetes-client, unless
# a kubectl is there already (another source's package owns the same path).
if ! command -v kubectl >/dev/null; then
	need_root kubernetes-client
	apt_update
	say "installing: kubernetes-client (kubectl)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
fi

# Node.js and npm for the offline manifest check (tests/manifests/): Debian's
# nodejs and npm, unless a node and an npm are there already. Asked of the
# commands, not dpkg: another distribution's nodejs package ships npm itself
# and conflicts with Debian's npm, which apt would then try to swap in.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	need_root nodejs npm
	apt_update
	say "installing: nodejs npm"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# kubernetes-models 4.5 runs on Node.js >= 14 (Debian 12 has 18).
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 14 ? 0 : 1)'; then
	say "node $(node --version) is older than 14: the manifest check needs 14 or later"
	exit 1
fi

# The manifest check's packages, at the versions tests/manifests/package-lock.json
# pins, into $NPM_DIR; again only when that lock file changed.
if ! cmp -s "$SRC/tests/manifests/package-lock.json" "$NPM_DIR/.installed-lock.json"; then
	say "installing the manifest check's npm packages into $NPM_DIR"
	rm -rf "$NPM_DIR"
	mkdir -p "$NPM_DIR"
	cp "$SRC/tests/manifests/package.json" "$SRC/tests/manifests/package-lock.json" "$NPM_DIR/"
	# --ignore-scripts: none of them needs an install script.
	(cd "$NPM_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
	cp "$SRC/tests/manifests/package-lock.json" "$NPM_DIR/.installed-lock.json"
fi
