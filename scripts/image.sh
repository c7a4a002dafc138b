#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# make image: build the weft image from manifests/Containerfile with podman,
# or docker where there is no podman, and tag it localhost/weft:VERSION and
# localhost/weft:latest (the name manifests/weft.yaml runs).
#
# No registry can be reached here, so the Debian 12 base is made locally the
# first time: debootstrap (variant minbase) from the archive this machine's
# apt uses (scripts/debian-mirror.sh), imported as localhost/weft-base:bookworm.
# It stays in the engine's image store: later builds start from it, and the
# engine's layer cache skips the package installs until scripts/deps.sh
# changes. `podman rmi localhost/weft-base:bookworm` makes it again (for
# Debian's updates).
#
#   scripts/image.sh            env: WEFT_VERSION (default: git describe)
#   scripts/image.sh --engine   print the engine it would use, or why there
#                               is none (exit 1): the tests' skip reason
#   WEFT_IMAGE        image name (default localhost/weft)
#   WEFT_BASE_IMAGE   a Debian 12 image to start from instead, e.g.
#                     docker.io/library/debian:bookworm where it can be pulled
#   CONTAINER_ENGINE  podman or docker (default: podman if installed, else
#                     docker if a Docker engine answers)
#   WEFT_IMAGE_CACHE  where the base is made and logged (default
#                     /var/cache/weft/image)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
IMAGE=${WEFT_IMAGE:-localhost/weft}
LOCAL_BASE=localhost/weft-base:bookworm
BASE=${WEFT_BASE_IMAGE:-$LOCAL_BASE}
CACHE=${WEFT_IMAGE_CACHE:-/var/cache/weft/image}
VERSION=${WEFT_VERSION:-$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)}

say() { printf 'image: %s\n' "$*" >&2; }
fail() {
	say "$*"
	exit 1
}

# engine: the container engine to use, or why there is none (exit 1).
engine() {
	if [[ -n ${CONTAINER_ENGINE:-} ]]; then
		command -v "$CONTAINER_ENGINE" >/dev/null || {
			echo "CONTAINER_ENGINE=$CONTAINER_ENGINE is not installed"
			return 1
		}
		echo "$CONTAINER_ENGINE"
	elif command -v podman >/dev/null; then
		echo podman
	elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
		echo docker
	elif command -v docker >/dev/null; then
		echo "neither podman nor a Docker engine: docker is only a client here (docker info fails); 'make deps' installs podman"
		return 1
	else
		echo "neither podman nor docker is installed ('make deps' installs podman)"
		return 1
	fi
}

[[ ${1:-} == --engine ]] && {
	engine
	exit
}

ENGINE=$(engine) || fail "$ENGINE"

# make_base: debootstrap a minimal Debian 12 and import it as $LOCAL_BASE.
make_base() {
	local mirror root log=$CACHE/debootstrap.log
	[[ $(id -u) -eq 0 ]] || fail "making the base image needs root (debootstrap)"
	command -v debootstrap >/dev/null || fail "debootstrap is missing: run 'make deps'"
	mirror=$("$here/debian-mirror.sh")
	root=$CACHE/bookworm.tmp
	say "making the base image $LOCAL_BASE with debootstrap from $mirror (once; kept)"
	mkdir -p "$CACHE"
	rm -rf "$root"
	# A private mount namespace: debootstrap mounts /proc and /sys in the
	# root, and a killed run must leave no mount behind.
	if ! unshare --mount --propagation private \
		debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -rf "$root"
		fail "debootstrap failed (log: $log)"
	fi
	# Debian's point-release updates come from the same archive; no package
	# cache or list goes into the image.
	printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" \
		>"$root/etc/apt/sources.list"
	# Trimmed as Debian's bookworm-slim is: no manual, documentation (but
	# the copyright files) or translation, now or in what apt adds later.
	cat >"$root/etc/dpkg/dpkg.cfg.d/weft-slim" <<-CFG
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/locale/*
	path-exclude /usr/share/lintian/*
	CFG
	find "$root/usr/share/doc" -type f ! -name copyright -delete
	rm -rf "$root"/usr/share/{man,groff,info,locale,lintian}/*
	rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	local quiet=()
	[[ $ENGINE == podman ]] && quiet=(--quiet) # docker import has no such flag
	tar --numeric-owner -C "$root" -c . |
		"$ENGINE" import "${quiet[@]}" --change 'CMD ["/bin/bash"]' - "$LOCAL_BASE" >/dev/null
	rm -rf "$root"
}

mkdir -p "$CACHE"
if [[ $BASE == "$LOCAL_BASE" ]] && ! "$ENGINE" image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
	make_base
fi

flags=()
# podman runs the build's RUN steps chrooted, in the host's network
# namespace: no OCI runtime or cgroup is needed (crun refuses a host with
# cgroup v1 and v2 mounted side by side, as some are), the packages come from
# the mirror as the host's apt gets them, and no bridge or NAT rule is set up
# on the host for the build. (docker's engine has its own bridge already.)
[[ $ENGINE == podman ]] && flags+=(--isolation=chroot --network=host)
build() { "$ENGINE" build "${flags[@]}" -f "$src/manifests/Containerfile" --build-arg BASE="$BASE" "$@" "$src"; }
start=$SECONDS
# The build stage first, under a name of its own: what it holds (the build
# packages, the last sources and objects) stays cached for the next build
# while the previous build's stage, no longer named, goes below.
say "building $IMAGE:$VERSION with $ENGINE from $BASE"
build --target build --build-arg WEFT_VERSION="$VERSION" -t "$IMAGE-build:latest"
build --build-arg WEFT_VERSION="$VERSION" -t "$IMAGE:$VERSION" -t "$IMAGE:latest"
# Layers of this build that no image names or uses any more: a previous
# build's stage, sources and objects (tens of MB each time). Only this
# build's layers carry the label, so nobody else's image goes.
"$ENGINE" image prune -f --filter label=org.weft.build=1 >/dev/null || true
say "built $IMAGE:$VERSION and $IMAGE:latest in $((SECONDS - start)) s"
