#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The first run on a fresh machine, tested: `make demo` from a clean clone of
# this repository's HEAD, inside a minimal Debian 12 root (debootstrap,
# variant minbase, plus make and git: what a new user starts with), entered
# with chroot. /proc, /sys and /dev are the host's (same kernel, so namespaces,
# bpffs and tcx work); /sys is bound without its submounts, so /sys/fs/bpf is
# not a bpffs there, as on many fresh nodes.
#
# CI runs on a machine where every package is already installed and cannot
# see a missing install step; this can.
#
#   scripts/test-fresh.sh [REPO]     default: this checkout
#
# The debootstrapped root is cached under $WEFT_FRESH_CACHE (default
# /var/cache/weft/test-fresh) and rebuilt when missing or incomplete; each run
# works on an overlay over it, so every run starts from the same fresh root.
# Downloaded .debs are kept in the cache too (they are still installed fresh
# every run). Everything runs in a private mount namespace: a run that is
# killed leaves no mount behind.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${WEFT_FRESH_CACHE:-/var/cache/weft/test-fresh}
BASE=$CACHE/bookworm
TIMEOUT=${WEFT_FRESH_TIMEOUT:-2400}
TAIL=${WEFT_FRESH_TAIL:-40}

say() { printf 'test-fresh: %s\n' "$*" >&2; }
fail() {
	say "$*"
	exit 1
}

# --- inside a private mount namespace (re-executed by unshare below) ---------
if [[ ${1:-} == --inside ]]; then
	work=$2 src=$3
	root=$work/root
	mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$work/upper,workdir=$work/ovl" "$root"
	mount --bind /proc "$root/proc"
	mount --bind /sys "$root/sys" # not --rbind: no /sys/fs/bpf mount, as on a fresh node
	mount --rbind /dev "$root/dev"
	mount -t tmpfs -o mode=0755 tmpfs "$root/run"
	mkdir -p "$CACHE/archives/partial"
	mount --bind "$CACHE/archives" "$root/var/cache/apt/archives"
	# Name resolution and any proxy apt is told to use here, so the root reaches
	# the same mirror the host does (nothing else is copied from the host, but
	# npm's way to its registry, below).
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	apt-config dump | grep -iE '^Acquire::[a-z]+::Proxy ' >"$root/etc/apt/apt.conf.d/00weft-proxy" || true
	# The same for npm (make deps installs the manifest check's packages):
	# the registry and proxies the host's npm uses, and the CA file it trusts,
	# since a proxy that inspects TLS signs with a CA of its own. Settings
	# only: never the host's user config, which may hold a token.
	if command -v npm >/dev/null; then
		for k in registry proxy https-proxy; do
			v=$(npm config get "$k" 2>/dev/null) || continue
			[[ -n $v && $v != null && $v != undefined ]] && echo "$k=$v"
		done >"$root/root/.npmrc"
		ca=$(npm config get cafile 2>/dev/null) || ca=
		if [[ -f $ca ]]; then
			cp -L "$ca" "$root/etc/ssl/certs/weft-host-npm-ca.crt"
			echo "cafile=/etc/ssl/certs/weft-host-npm-ca.crt" >>"$root/root/.npmrc"
		fi
	fi
	# No daemon a package ships may start in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	git clone -q --no-local "$src" "$root/root/weft"
	say "make demo in a fresh Debian 12 root, from $(git -C "$src" rev-parse --short HEAD)"
	timeout "$TIMEOUT" chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c 'cd /root/weft && make demo' >"$work/demo.log" 2>&1
	exit
fi

# --- outside -----------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || fail "debootstrap is missing: run 'make deps'"
src=$(realpath "${1:-$here/..}")
git -C "$src" rev-parse HEAD >/dev/null 2>&1 || fail "$src is not a git checkout"
[[ -z $(git -C "$src" status --porcelain --untracked-files=no) ]] ||
	say "warning: $src has uncommitted changes; the fresh root gets HEAD only"

if [[ ! -e $BASE/.weft-complete ]]; then
	mirror=$("$here/debian-mirror.sh")
	say "building the fresh Debian 12 root in $BASE from $mirror (once; cached)"
	rm -rf "$BASE" "$BASE.tmp"
	mkdir -p "$CACHE"
	if ! debootstrap --variant=minbase --include=make,git,ca-certificates bookworm \
		"$BASE.tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
		tail -n "$TAIL" "$CACHE/debootstrap.log" >&2
		rm -rf "$BASE.tmp"
		fail "debootstrap failed (log: $CACHE/debootstrap.log)"
	fi
	apt-get -o RootDir="$BASE.tmp" clean 2>/dev/null || true
	touch "$BASE.tmp/.weft-complete"
	mv "$BASE.tmp" "$BASE"
fi

work=$(mktemp -d /tmp/weft-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/root" "$work/upper" "$work/ovl"
start=$SECONDS
rc=0
unshare --mount --propagation private "$0" --inside "$work" "$src" || rc=$?
if ((rc != 0)); then
	say "make demo FAILED in the fresh root (exit $rc, $((SECONDS - start)) s); last $TAIL lines:"
	tail -n "$TAIL" "$work/demo.log" >&2 || true
	exit 1
fi
grep -q 'demo: pods talked' "$work/demo.log" || {
	tail -n "$TAIL" "$work/demo.log" >&2
	fail "make demo exited 0 but did not say the pods talked"
}
say "passed: make demo worked the first time in a fresh Debian 12 root ($((SECONDS - start)) s)"
