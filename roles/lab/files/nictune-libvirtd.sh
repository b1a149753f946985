#!/usr/bin/env bash
# Run a private libvirtd (+ virtlogd) whose whole state lives under STATE_DIR, optionally inside a
# network namespace, without touching the host's /etc/libvirt, /run/libvirt or /var/lib/libvirt:
# the daemons run in a mount namespace of their own where those paths are bind mounts of
# STATE_DIR/{etc,run,lib,cache,log}. Clients outside reach it through the socket in STATE_DIR/run.
#
#   nictune-libvirtd.sh start STATE_DIR [NETNS]   start (no-op when already running); prints the URI
#   nictune-libvirtd.sh stop STATE_DIR            destroy its running domains, stop its daemons and QEMUs
#   nictune-libvirtd.sh uri STATE_DIR             print the URI
#   nictune-libvirtd.sh status STATE_DIR          exit 0 when running
set -euo pipefail

cmd=${1:?usage: $0 start|stop|uri|status STATE_DIR [NETNS]}
state=${2:?usage: $0 start|stop|uri|status STATE_DIR [NETNS]}
netns=${3:-}
mkdir -p "$state"
state=$(cd "$state" && pwd)
uri="qemu:///system?socket=$state/run/libvirt-sock"

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

running() { pid_alive "$state/run/libvirtd.pid" && [ -S "$state/run/libvirt-sock" ]; }

prepare() {
  mkdir -p "$state"/{run,lib,cache,log}
  if [ ! -f "$state/etc/.nictune" ]; then
    rm -rf "${state:?}/etc"
    mkdir -p "$state/etc"
    # The package's configuration without any domain, network or storage definitions.
    (cd /etc/libvirt && find . -maxdepth 1 -type f -name '*.conf' -exec cp {} "$state/etc/" \;)
    mkdir -p "$state/etc/qemu" "$state/etc/storage" "$state/etc/nwfilter" "$state/etc/secrets" "$state/etc/hooks"
    cat > "$state/etc/qemu.conf" <<'CONF'
# Private to this libvirtd: QEMU runs as root so libvirt does not re-probe QEMU on every call.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "logd"
CONF
    cat > "$state/etc/libvirtd.conf" <<'CONF'
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:stderr"
CONF
    touch "$state/etc/.nictune"
  fi
}

start() {
  if running; then echo "$uri"; return 0; fi
  prepare
  local -a wrap=()
  [ -n "$netns" ] && wrap=(ip netns exec "$netns")
  # shellcheck disable=SC2016  # the inner script's variables expand in the inner shell
  "${wrap[@]}" unshare --mount --propagation private /bin/sh -ec '
    s=$1
    for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
      [ -d "$d" ] || mkdir -p "$d"
    done
    mount --bind "$s/etc" /etc/libvirt
    mount --bind "$s/run" /run/libvirt
    mount --bind "$s/lib" /var/lib/libvirt
    mount --bind "$s/cache" /var/cache/libvirt
    mount --bind "$s/log" /var/log/libvirt
    virtlogd -d -p /run/libvirt/virtlogd.pid
    libvirtd -d -p /run/libvirt/libvirtd.pid >>"$s/log/libvirtd.log" 2>&1
  ' sh "$state"
  local _try
  for _try in $(seq 1 600); do
    if running && virsh -q -c "$uri" uri >/dev/null 2>&1; then echo "$uri"; return 0; fi
    sleep 0.1
  done
  echo "libvirtd in $state did not come up; see $state/log/libvirtd.log" >&2
  return 1
}

stop() {
  if running; then
    local d
    for d in $(virsh -q -c "$uri" list --name 2>/dev/null); do
      virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1 || true
    done
  fi
  local p f
  for f in "$state/run/libvirtd.pid" "$state/run/virtlogd.pid"; do
    if pid_alive "$f"; then
      p=$(cat "$f"); kill "$p" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  # QEMU processes of this libvirtd that outlived it.
  for f in "$state"/run/qemu/*.pid; do
    [ -e "$f" ] || continue
    if pid_alive "$f"; then kill -9 "$(cat "$f")" 2>/dev/null || true; fi
    rm -f "$f"
  done
  rm -f "$state"/run/*sock*
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  uri) echo "$uri" ;;
  status) running ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
