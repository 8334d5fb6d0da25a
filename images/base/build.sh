#!/usr/bin/env bash
# Builds shakedown/debian-base:bookworm: a Debian 12 root filesystem made by debootstrap (minbase)
# with Postgres 15 and Redis 7 from Debian's packages, imported into Docker. No registry is needed;
# the packages come from the Debian mirror apt uses here. Idempotent by input hash.
set -euo pipefail
cd "$(dirname "$0")/.."
source ./lib.sh
tag=shakedown/debian-base:bookworm
hash=$(inputs_hash base/build.sh lib.sh)
if up_to_date "$tag" "$hash"; then
	echo "$tag is up to date ($hash)"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ && /debian$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /tmp/shakedown-rootfs-XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm from $mirror into $rootfs"
debootstrap --variant=minbase --include=postgresql-15,redis-server,ca-certificates bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
	{ tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# The Debian package made a cluster of its own; the images' entrypoints make theirs.
rm -rf "$rootfs"/var/lib/postgresql/15/main "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
	-c "LABEL dev.shakedown.inputs=$hash" \
	-c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
	- "$tag" >/dev/null
echo "built $tag ($hash)"
