#!/bin/sh
# Runs inside the cgroup v2 guest as PID 1's job (see guest-init): lays out cgroup2 the way a systemd
# host does, mounts the checkout and Node, runs vitest on the given files, writes the exit code to
# /mnt/job/rc. Output goes to the console, which the host streams.
. /mnt/job/env
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 CI=1
say() { echo "v2-guest: $*"; }
t0=$(cut -d' ' -f1 /proc/uptime)

mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /var/tmp && mount -t tmpfs -o mode=1777 tmpfs /var/tmp
# systemd (252, Debian 12) mounts the unified hierarchy with these options.
mount -t cgroup2 -o rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
# And puts itself in init.scope, services in system.slice, users in user.slice, with the controllers on.
cg=/sys/fs/cgroup
mkdir -p $cg/init.scope $cg/system.slice $cg/user.slice
echo $$ > $cg/init.scope/cgroup.procs
echo 1 > $cg/init.scope/cgroup.procs
echo "+cpu +io +memory +pids" > $cg/cgroup.subtree_control
echo "+cpu +io +memory +pids" > $cg/system.slice/cgroup.subtree_control
echo "+cpu +io +memory +pids" > $cg/user.slice/cgroup.subtree_control
mkdir -p $cg/system.slice/v2-guest-tests.service
echo $$ > $cg/system.slice/v2-guest-tests.service/cgroup.procs
ip link set lo up

mkdir -p /mnt/checkout
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro checkout /mnt/checkout
# The checkout's node_modules, mounted where Node looks for it (a copy made by --mutate has an empty one).
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro modules /mnt/checkout/node_modules
mkdir -p /opt/node/bin && cp /mnt/job/node /opt/node/bin/node && chmod 755 /opt/node/bin/node
export PATH=/opt/node/bin:$PATH
# The suite writes the v2 files it recorded here; the host copies them out with --record.
export V2_GUEST_OUT=/mnt/job/out
say "ready in $(cut -d' ' -f1 /proc/uptime) s of guest uptime (from ${t0}); cgroup2 controllers: $(cat $cg/cgroup.controllers)"
s=$(date +%s)
node -e 'console.log("v2-guest: node " + process.version + " runs")'
say "node start took $(( $(date +%s) - s )) s"

# One vitest run of the guest suite in the current directory: its exit code goes to the file $1, and how
# long it took to the log. --configLoader runner: the default loader writes the bundled config into
# node_modules/.vite-temp, and the checkout is read-only here.
run_suite() {
  local rc_file=$1 label=$2; shift 2
  local s rc
  s=$(date +%s)
  node node_modules/vitest/vitest.mjs run --configLoader runner --config test/v2-guest/vitest.config.ts "$@"
  rc=$?
  say "${label}vitest exit $rc after $(( $(date +%s) - s )) s"
  echo "$rc" > "$rc_file"
}

cd /mnt/checkout
# shellcheck disable=SC2086
run_suite /mnt/job/rc '' $V2_ARGS
sync

# --then-mutate: the same boot runs one file again against the host's edited copy (a second boot would
# cost a minute under software emulation). The run above has cleaned up after itself (its tests check it);
# only the kernel log remembers it: its OOM records name the same cgroup paths, so it is cleared first,
# as a fresh boot would have it (`dmesg` reads /dev/kmsg from the last clear).
if [ -n "$V2_THEN_ARGS" ]; then
  dmesg -C
  mkdir -p /mnt/mutated
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro mutated /mnt/mutated
  mount --bind /mnt/checkout/node_modules /mnt/mutated/node_modules
  say "the mutated copy: $V2_THEN_MUTATION"
  cd /mnt/mutated
  # shellcheck disable=SC2086
  run_suite /mnt/job/rc-mutated 'mutated run: ' $V2_THEN_ARGS
fi
sync
