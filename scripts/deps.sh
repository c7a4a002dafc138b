#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Install what weft needs to build and test on Debian 12 (bookworm), and build
# cnitool (a real libcni client) from Debian's golang-github-appc-cni source.
# Quick when everything is there: it only asks dpkg, and installs nothing.
set -euo pipefail

OUTPUT=${OUTPUT:-.output}
CNITOOL=$OUTPUT/cnitool

# name:minimum-version (empty = any). libbpf and bpftool come from backports.
BACKPORTS_PKGS=(libbpf-dev:1:1.4 bpftool:7.4)
PKGS=(clang llvm gcc make pkg-config libelf-dev zlib1g-dev libjansson-dev
      libnl-3-dev libnl-route-3-dev libcap-dev iproute2 util-linux bats jq
      iperf3 golang-go golang-github-appc-cni-dev containernetworking-plugins
      dpkg-dev procps iputils-ping iputils-arping ethtool netcat-openbsd iptables
      nftables debootstrap libcurl4-openssl-dev libyaml-dev etcd-server)

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
		apt-get install -y -qq -t bookworm-backports "${bp_todo[@]}" >/dev/null
	fi
	if ((${#todo[@]})); then
		apt_update
		say "installing: ${todo[*]}"
		apt-get install -y -qq "${todo[@]}" >/dev/null
	fi
	for p in "${PKGS[@]}" "${BACKPORTS_PKGS[@]}"; do
		if missing "$p"; then
			say "still missing after install: $p"
			exit 1
		fi
	done
fi

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
