#!/usr/bin/env bash
# Builds (once) the root filesystem image of the cgroup v2 test guest and prints its path.
# debootstrap --variant=minbase bookworm with test/v2-guest/guest.packages, plus the 9p modules of the
# host's Debian kernel (so the guest can mount the checkout and this machine's Node), a non-root user
# `sim` (uid 1000) for the delegation tests, and test/v2-guest/guest-init as /sbin/v2-guest-init.
# Cached under /var/tmp/simulate/v2-guest/ keyed by kernel version, packages and this recipe; a
# cached image is reused as is. Needs root (debootstrap, chroot). Exit 3: cannot build here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
say() { echo "v2-guest: $*" >&2; }
die3() { echo "v2-guest: $1 — $2" >&2; exit 3; }

kernel="${V2_GUEST_KERNEL:-$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)}"
[ -n "$kernel" ] && [ -f "$kernel" ] || die3 "no Debian kernel in /boot" "apt-get install -y linux-image-amd64"
kver="${kernel##*/vmlinuz-}"
[ -d "/lib/modules/$kver" ] || die3 "no /lib/modules/$kver for $kernel" "apt-get install --reinstall linux-image-$kver"
[ "$(id -u)" = 0 ] || die3 "building the guest image needs root (debootstrap)" "run as root"
command -v debootstrap >/dev/null || die3 "debootstrap is not installed" "apt-get install -y debootstrap"
command -v mkfs.ext4 >/dev/null || die3 "mkfs.ext4 is not installed" "apt-get install -y e2fsprogs"

packages="$(grep -v '^#' "$here/guest.packages" | grep -v '^\s*$' | paste -sd, -)"
key="$( { echo "$kver"; echo "$packages"; cat "$here/build-rootfs.sh" "$here/guest-init"; } | sha256sum | cut -c1-12)"
cache="${V2_GUEST_CACHE:-/var/tmp/simulate/v2-guest}"
image="$cache/rootfs-$key.ext4"
if [ -f "$image" ]; then echo "$image"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/build.lock"
flock 9
if [ -f "$image" ]; then echo "$image"; exit 0; fi
mirror="$(awk '/^URIs:/{print $2; exit} /^deb /{print $2; exit}' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
dir="$cache/rootfs-$key.d"
rm -rf "$dir"
t0=$(date +%s)
say "building the guest root filesystem (debootstrap bookworm from $mirror: $packages), once…"
if ! debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1; then
  tail -5 "$cache/debootstrap.log" >&2
  rm -rf "$dir"
  die3 "debootstrap failed (log: $cache/debootstrap.log)" "check that apt-get can reach $mirror"
fi
# Modules the guest loads itself (the initrd brings virtio and ext4): 9p and what it depends on.
for m in 9p 9pnet_virtio; do
  for f in $(modprobe -S "$kver" --show-depends "$m" | awk '$1=="insmod"{print $2}'); do
    mkdir -p "$dir$(dirname "$f")"; cp "$f" "$dir$f"
  done
done
cp /lib/modules/"$kver"/modules.order /lib/modules/"$kver"/modules.builtin* "$dir/lib/modules/$kver/" 2>/dev/null || true
chroot "$dir" depmod "$kver"
chroot "$dir" useradd -m -u 1000 -s /bin/sh sim
install -m 0755 "$here/guest-init" "$dir/sbin/v2-guest-init"
# redis-server's package enabled a service; nothing runs it here (no systemd), but keep no stale state.
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
size_mb=$(( $(du -sm "$dir" | cut -f1) + 256 ))
mkfs.ext4 -q -F -L v2guest -d "$dir" "$image.tmp" "${size_mb}M" >&2  # it talks on stdout; ours is the image path
mv "$image.tmp" "$image"
rm -rf "$dir"
# Older images of this recipe are of no use any more.
find "$cache" -maxdepth 1 -name 'rootfs-*.ext4' ! -name "rootfs-$key.ext4" -delete
say "guest image $image built in $(( $(date +%s) - t0 )) s ($size_mb MB)"
echo "$image"
