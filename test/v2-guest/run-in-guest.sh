#!/usr/bin/env bash
# Runs vitest test files inside a cgroup v2 guest: Debian's own kernel (linux-image-amd64) under
# qemu-system-x86_64, the root filesystem from build-rootfs.sh (built once, cached), this checkout
# and this machine's Node shared read-only over 9p, cgroup2 mounted as a systemd host mounts it.
# Prints the guest's console and the test output; exits with the guest vitest's exit code.
#
#   test/v2-guest/run-in-guest.sh [--accel auto|kvm|tcg] [--timeout SECONDS] [--record DIR]
#                                 [--mutate 'FILE|SED-EXPRESSION']
#                                 [--then-mutate 'FILE|SED-EXPRESSION' GUEST-FILE] -- VITEST-ARGS...
#
#   --record DIR   copy the cgroup files the suite recorded in the guest to DIR (fixtures).
#   --mutate       run against a copy of the checkout with FILE edited by the sed expression (a
#                  deliberately broken reading, to prove the suite can fail). Needs the change to
#                  take: exit 2 when the expression does not change FILE.
#   --then-mutate  in the same boot, after the run on the checkout, run GUEST-FILE once more against
#                  such an edited copy (a boot under software emulation costs about a minute). Its
#                  output follows a line `v2-guest: the mutated copy: ...`, its exit code is printed
#                  as `v2-guest: mutated run exit N`; the script's own exit code stays the first run's.
# Exit 3: qemu, the kernel or root is missing here (one line says which and how to fix it).
# Runs `-snapshot`: the cached image is never written. Nothing is left behind (qemu, temp dir).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
say() { echo "v2-guest: $*" >&2; }
die() { echo "v2-guest: $2 — $3" >&2; exit "$1"; }

accel=auto timeout_s=540 record="" mutate="" then_mutate="" then_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --accel) accel="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --record) record="$2"; shift 2 ;;
    --mutate) mutate="$2"; shift 2 ;;
    --then-mutate) then_mutate="$2"; then_file="${3:-}"; shift 3 || die 2 "--then-mutate needs 'FILE|SED-EXPRESSION' and a guest test file" "see the usage at the top of $0"; [ -f "$repo/$then_file" ] || die 2 "--then-mutate: no test file $then_file" "give a path relative to the repository"; ;;
    --) shift; break ;;
    *) die 2 "unknown option $1" "see the usage at the top of $0" ;;
  esac
done
[ $# -gt 0 ] || die 2 "no test files given" "pass them after --, e.g. -- test/v2-guest/cgroup-v2.guest.ts"
case "$accel" in auto|kvm|tcg) ;; *) die 2 "--accel $accel" "use auto, kvm or tcg" ;; esac

command -v qemu-system-x86_64 >/dev/null || die 3 "qemu-system-x86_64 is not installed" "apt-get install -y qemu-system-x86"
kernel="${V2_GUEST_KERNEL:-$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)}"
[ -n "$kernel" ] || die 3 "no Debian kernel in /boot" "apt-get install -y linux-image-amd64"
initrd="/boot/initrd.img-${kernel##*/vmlinuz-}"
[ -f "$initrd" ] || die 3 "no initrd $initrd for $kernel" "apt-get install --reinstall linux-image-amd64 (it makes the initrd)"
[ "$(id -u)" = 0 ] || die 3 "the guest runner needs root (the image build, qemu's 9p passthrough)" "run as root"
image="$(bash "$here/build-rootfs.sh")"

job="$(mktemp -d /tmp/v2-guest-job.XXXXXX)"
qemu_pid=""
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The job: the script the guest's init runs, this machine's Node, and the arguments.
cp "$here/guest-job.sh" "$job/job.sh"
cp "$(readlink -f "$(command -v node)")" "$job/node"
mkdir -p "$job/out"
# A copy of what the suite runs (src, test, docker, configs) with one file edited; node_modules is the
# checkout's own, mounted over the copy's empty one in the guest.
mutated_copy() { # $1 = option name, $2 = 'FILE|SED-EXPRESSION', $3 = where
  local file="${2%%|*}" expr="${2#*|}" p
  [ -f "$repo/$file" ] || die 2 "$1: no file $file in $repo" "give a path relative to the repository"
  mkdir -p "$3"
  for p in src test docker scenarios package.json tsconfig.json vitest.config.ts; do [ -e "$repo/$p" ] && cp -r "$repo/$p" "$3/"; done
  mkdir "$3/node_modules"  # the guest mounts the real one here
  sed -i "$expr" "$3/$file"
  cmp -s "$repo/$file" "$3/$file" && die 2 "$1: the expression $expr changes nothing in $file" "give a sed expression that matches"
  say "mutated $file with: $expr"
}
share="$repo"
if [ -n "$mutate" ]; then
  share="$job/checkout"
  mutated_copy --mutate "$mutate" "$share"
fi
then_share=()
if [ -n "$then_mutate" ]; then
  mutated_copy --then-mutate "$then_mutate" "$job/mutated"
  then_share=(-virtfs "local,path=$job/mutated,mount_tag=mutated,security_model=none,readonly=on")
fi
{
  printf 'V2_ARGS=%q\n' "$*"
  printf 'V2_MUTATED=%q\n' "${mutate:+1}"
  printf 'V2_THEN_MUTATION=%q\n' "$then_mutate"
  printf 'V2_THEN_ARGS=%q\n' "$then_file"
} >"$job/env"

run_qemu() { # $1 = kvm|tcg; console to $job/console.log
  local a="$1" accel_args
  if [ "$a" = kvm ]; then accel_args=(-accel kvm -cpu max); else accel_args=(-accel tcg -cpu max); fi
  : >"$job/console.log"
  qemu-system-x86_64 "${accel_args[@]}" -m 1536 -smp 2 -nographic -no-reboot -snapshot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 root=/dev/vda rw init=/sbin/v2-guest-init panic=-1 quiet loglevel=4" \
    -drive "file=$image,format=raw,if=virtio" \
    -virtfs "local,path=$job,mount_tag=job,security_model=none" \
    -virtfs "local,path=$share,mount_tag=checkout,security_model=none,readonly=on" \
    -virtfs "local,path=$repo/node_modules,mount_tag=modules,security_model=none,readonly=on" \
    "${then_share[@]}" \
    -nic none </dev/null >"$job/console.log" 2>&1 &
  qemu_pid=$!
}

# Wait until the guest's init says it runs (or qemu ends, or the time is up). 0 = it booted.
wait_boot() {
  local limit=$1 t=0
  while [ "$t" -lt "$limit" ]; do
    grep -q 'v2-guest: init running' "$job/console.log" 2>/dev/null && return 0
    kill -0 "$qemu_pid" 2>/dev/null || return 1
    sleep 1; t=$((t + 1))
  done
  return 1
}

t0=$(date +%s)
used=""
if [ "$accel" != tcg ] && [ -w /dev/kvm ]; then
  run_qemu kvm
  # A KVM guest boots to init in a few seconds; silence means it hangs (seen here: nested KVM). Under auto
  # the wait is short, as a slow KVM boot only costs the fallback to TCG; asked for KVM, it gets 20 s.
  kvm_wait=10; [ "$accel" = kvm ] && kvm_wait=20
  if wait_boot "$kvm_wait"; then used=kvm; else
    kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; qemu_pid=""
    [ "$accel" = kvm ] && { tail -5 "$job/console.log" >&2; die 3 "the KVM guest did not boot within $kvm_wait s" "use --accel tcg"; }
    say "KVM: the guest did not reach init within $kvm_wait s; falling back to software emulation (TCG)"
  fi
elif [ "$accel" = kvm ]; then
  die 3 "/dev/kvm is missing or not writable" "use --accel tcg"
fi
if [ -z "$used" ]; then
  run_qemu tcg
  used=tcg
  wait_boot 120 || { tail -20 "$job/console.log" >&2; die 3 "the TCG guest did not reach init within 120 s" "see the console above"; }
fi
say "guest booted under $used in $(( $(date +%s) - t0 )) s (kernel ${kernel##*/}, image ${image##*/})"

# Stream the console while the guest runs; stop it at the time limit.
tail -n +1 -f "$job/console.log" --pid="$qemu_pid" &
tail_pid=$!
deadline=$(( $(date +%s) + timeout_s ))
while kill -0 "$qemu_pid" 2>/dev/null; do
  if [ "$(date +%s)" -gt "$deadline" ]; then
    say "the guest ran longer than $timeout_s s: stopping it"
    kill "$qemu_pid" 2>/dev/null || true
    break
  fi
  sleep 1
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=""
wait "$tail_pid" 2>/dev/null || true

if [ -n "$record" ] && [ -d "$job/out/fixtures" ]; then
  mkdir -p "$record"
  cp -r "$job/out/fixtures/." "$record/"
  say "recorded cgroup v2 files copied to $record"
fi
[ -f "$job/rc" ] || die 1 "the guest ended without a test result (see its console above)" "run it again; if it repeats, the console says where it stopped"
rc="$(cat "$job/rc")"
if [ -n "$then_mutate" ]; then
  [ -f "$job/rc-mutated" ] || die 1 "the guest ended without a result of the mutated run (see its console above)" "run it again; if it repeats, the console says where it stopped"
  say "mutated run exit $(cat "$job/rc-mutated")"
fi
say "guest tests exit $rc under $used; whole guest run $(( $(date +%s) - t0 )) s"
exit "$rc"
