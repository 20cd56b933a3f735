#!/usr/bin/env bash
# A second Docker engine that this machine reaches only over ssh: the stand-in for "the server a
# team bought" in the --docker-host tests.
#
#   remote-engine.sh up      make it (idempotent); prints KEY=VALUE lines (DOCKER_HOST, SSH_KEY, ...)
#   remote-engine.sh env     the same lines, if it is up (exit 1 if not)
#   remote-engine.sh down    remove everything it made: dockerd, sshd, netns, veth, mounts, files
#   remote-engine.sh drop    a dropped link, as a client sees it: sshd and every session it serves are
#                            killed (SIGKILL), so open connections close and new ones are refused, until
#                            the next `up` starts sshd again (dockerd and its containers keep running)
#
# Layout: a network namespace `simulate-remote` joined to this one by a veth pair on a private /30
# (host 10.213.7.1, namespace 10.213.7.2). Inside it: sshd (key auth with a key generated here, on the
# namespace's address only) and a dockerd of its own (own --data-root, --exec-root, --pidfile, unix
# socket, --bridge=none, no iptables, --cgroup-parent=/simulate-remote-engine so its containers never
# share a cgroup with the local engine's). Host networking in that engine is the namespace's network:
# its 127.0.0.1 is not ours. sshd gives every session DOCKER_HOST=<that socket> (SetEnv), so the
# client's `docker system dial-stdio` there talks to the second engine, as on a real server.
# Both daemons are entered with `nsenter --net` (not `ip netns exec`, which remounts /sys and would hide
# /sys/fs/cgroup from dockerd). They share this machine's file system: the engine's socket file is
# visible here too, but nothing of ours connects to it except through ssh.
set -euo pipefail

NS=simulate-remote
HOST_IF=sim-remote-h
NS_IF=sim-remote-n
HOST_ADDR=10.213.7.1
NS_ADDR=10.213.7.2
STATE=/var/lib/simulate-remote-engine
RUN=/run/simulate-remote-engine
SOCK=$RUN/docker.sock
CGROUP_PARENT=/simulate-remote-engine
TIMEOUT_S=${REMOTE_ENGINE_TIMEOUT_S:-60}

say() { echo "remote-engine: $*" >&2; }

print_env() {
  echo "DOCKER_HOST=ssh://root@$NS_ADDR"
  echo "SSH_KEY=$STATE/id_ed25519"
  echo "REMOTE_SOCKET=$SOCK"
  echo "REMOTE_ADDR=$NS_ADDR"
  echo "REMOTE_CGROUP_PARENT=$CGROUP_PARENT"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

engine_answers() {
  DOCKER_HOST=unix://$SOCK timeout 5 docker info >/dev/null 2>&1
}

ssh_answers() {
  timeout 10 ssh -i "$STATE/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR "root@$NS_ADDR" docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

up() {
  [ "$(id -u)" = 0 ] || { say "needs root (network namespaces, dockerd)"; exit 3; }
  for cmd in ip nsenter sshd ssh ssh-keygen dockerd docker; do
    command -v "$cmd" >/dev/null || { say "$cmd not found: apt-get install -y openssh-server openssh-client docker.io iproute2 util-linux"; exit 3; }
  done
  mkdir -p "$STATE" "$RUN" /run/sshd
  chmod 700 "$STATE"

  if [ ! -e "/run/netns/$NS" ]; then
    ip netns add "$NS"
  fi
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
  fi
  ip addr replace "$HOST_ADDR/30" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NS" addr replace "$NS_ADDR/30" dev "$NS_IF"
  ip -n "$NS" link set "$NS_IF" up
  ip -n "$NS" link set lo up

  [ -f "$STATE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C simulate-remote-engine -f "$STATE/id_ed25519"
  [ -f "$STATE/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C simulate-remote-engine-host -f "$STATE/host_ed25519"
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  chmod 600 "$STATE/authorized_keys"
  # MaxSessions stays at OpenSSH's default (10): the client must live with what a stock server allows.
  # SHLVL=1: sshd runs each command through root's bash, which sources ~/.bashrc when started by sshd
  # at shell level 1 only. This machine's root .bashrc runs `pyenv init` (a rehash under a lock file);
  # the dropped-connection test kills sessions mid-way, and a lock left behind made every later ssh
  # session into the bed wait 60 s for it, so `up` timed out. The bed stands for a server: its sessions
  # need docker on PATH, not this machine's shell set-up.
  cat >"$STATE/sshd_config" <<EOF
ListenAddress $NS_ADDR
Port 22
HostKey $STATE/host_ed25519
PidFile $RUN/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding yes
SetEnv DOCKER_HOST=unix://$SOCK SHLVL=1
EOF

  if ! pid_alive "$RUN/dockerd.pid"; then
    say "starting the second dockerd in netns $NS (log: $STATE/dockerd.log)"
    setsid nohup nsenter --net="/run/netns/$NS" dockerd \
      --data-root "$STATE/data" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" \
      -H "unix://$SOCK" --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
      --cgroup-parent="$CGROUP_PARENT" --exec-opt native.cgroupdriver=cgroupfs \
      >>"$STATE/dockerd.log" 2>&1 </dev/null &
  fi
  if ! pid_alive "$RUN/sshd.pid"; then
    say "starting sshd on $NS_ADDR:22 in netns $NS"
    nsenter --net="/run/netns/$NS" /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
  fi
  for ((i = 0; i < TIMEOUT_S * 2; i++)); do
    if engine_answers && ssh_answers; then
      say "up: ssh://root@$NS_ADDR -> dockerd $(DOCKER_HOST=unix://$SOCK docker version --format '{{.Server.Version}}')"
      print_env
      return 0
    fi
    sleep 0.5
  done
  say "not answering within ${TIMEOUT_S}s; last lines of $STATE/dockerd.log and $STATE/sshd.log:"
  tail -n 15 "$STATE/dockerd.log" "$STATE/sshd.log" >&2 || true
  exit 3
}

stop_pidfile() {
  local f=$1 what=$2
  if pid_alive "$f"; then
    local pid
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$what (pid $pid) did not stop in 30 s: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

down() {
  # The engine's containers first (its own restart policies would keep them while dockerd runs).
  if engine_answers; then
    ids=$(DOCKER_HOST=unix://$SOCK docker ps -aq || true)
    [ -z "$ids" ] || DOCKER_HOST=unix://$SOCK docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_pidfile "$RUN/sshd.pid" sshd
  stop_pidfile "$RUN/dockerd.pid" dockerd
  # Its containerd (started by dockerd under the exec root) goes with it; wait for any straggler.
  stop_pidfile "$RUN/exec/containerd/containerd.pid" containerd
  # Anything the engine left mounted under its roots (overlay layers, netns files, shm).
  for m in $(awk -v a="$STATE/" -v b="$RUN/" 'index($2,a)==1 || index($2,b)==1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  ip link del "$HOST_IF" 2>/dev/null || true
  [ ! -e "/run/netns/$NS" ] || ip netns del "$NS"
  # The engine's cgroup parent, in every hierarchy, deepest first.
  for d in $(find /sys/fs/cgroup -depth -type d -path "*$CGROUP_PARENT*" 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
  rm -rf "$RUN" "$STATE"
  say "down: nothing left (netns, veth, dockerd, sshd, mounts, $STATE)"
}

# A process and all its descendants, by pid (ps --ppid), deepest last, each stopped (SIGSTOP) before its
# children are listed, so none can fork a child the listing misses.
tree_stopped() {
  local p=$1 c
  kill -STOP "$p" 2>/dev/null || return 0
  echo "$p"
  for c in $(ps -o pid= --ppid "$p"); do tree_stopped "$c"; done
}

drop() {
  pid_alive "$RUN/sshd.pid" || { say "sshd is not up"; exit 1; }
  local pids
  # Stopped while listed: a session forked between the listing and the kill would survive, keep the
  # link up, and let the run tidy up through it, which a dropped link does not allow.
  pids=$(tree_stopped "$(cat "$RUN/sshd.pid")")
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
  rm -f "$RUN/sshd.pid"
  say "dropped: sshd and its sessions killed ($(echo $pids | wc -w) processes); \`$0 up\` starts sshd again"
}

case "${1:-}" in
  up) up ;;
  drop) drop ;;
  env) if pid_alive "$RUN/dockerd.pid" && pid_alive "$RUN/sshd.pid"; then print_env; else say "not up"; exit 1; fi ;;
  down) down ;;
  *) echo "usage: $0 up|env|down|drop" >&2; exit 2 ;;
esac
