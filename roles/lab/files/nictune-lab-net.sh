#!/usr/bin/env bash
# The lab's network namespace, bridge and reference endpoint (an sshd and an iperf3 server bound to
# the bridge address inside the namespace). Nothing here touches the host's own network or /etc/ssh.
#
#   nictune-lab-net.sh up NETNS BRIDGE ADDR/PREFIX        namespace + bridge + address (idempotent)
#   nictune-lab-net.sh endpoint-start LAB_DIR NETNS ADDR [IPERF_PORT]
#                                                        sshd (-f LAB_DIR/endpoint/sshd_config) and,
#                                                        with IPERF_PORT, `iperf3 -s` (idempotent)
#   nictune-lab-net.sh down LAB_DIR NETNS                 stop the endpoint, end every process left in
#                                                        NETNS, delete NETNS (and so its bridge and taps)
# `up` and `endpoint-start` print "changed" when they changed something.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

cmd=${1:?usage: $0 up|endpoint-start|down ...}
shift

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
ns_exists() { [ -e "/run/netns/$1" ]; }

stop_pidfile() {
  local f=$1 p
  if pid_alive "$f"; then
    p=$(cat "$f")
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
  up)
    ns=$1 br=$2 cidr=$3
    changed=
    if ! ns_exists "$ns"; then ip netns add "$ns"; changed=1; fi
    ip -n "$ns" link set lo up
    if ! ip -n "$ns" link show "$br" >/dev/null 2>&1; then
      ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0
      changed=1
    fi
    # read the addresses first: with pipefail, grep -q ending the pipe early would read as "no such address"
    addrs=$(ip -n "$ns" -o addr show dev "$br")
    if ! grep -qw "inet ${cidr}" <<<"$addrs"; then
      ip -n "$ns" addr add "$cidr" dev "$br"
      changed=1
    fi
    ip -n "$ns" link set "$br" up
    [ -z "$changed" ] || echo changed
    ;;
  endpoint-start)
    lab=$1 ns=$2 addr=$3 port=${4:-}
    changed=
    mkdir -p /run/sshd "$lab/run"
    if ! pid_alive "$lab/run/endpoint-sshd.pid"; then
      ip netns exec "$ns" /usr/sbin/sshd -f "$lab/endpoint/sshd_config" -E "$lab/log/endpoint-sshd.log"
      for _ in $(seq 1 50); do pid_alive "$lab/run/endpoint-sshd.pid" && break; sleep 0.1; done
      pid_alive "$lab/run/endpoint-sshd.pid" || { echo "endpoint sshd did not start" >&2; exit 1; }
      changed=1
    fi
    if [ -n "$port" ] && ! pid_alive "$lab/run/endpoint-iperf3.pid"; then
      ip netns exec "$ns" iperf3 -s -D -B "$addr" -p "$port" -I "$lab/run/endpoint-iperf3.pid" \
        --logfile "$lab/log/endpoint-iperf3.log"
      for _ in $(seq 1 50); do pid_alive "$lab/run/endpoint-iperf3.pid" && break; sleep 0.1; done
      pid_alive "$lab/run/endpoint-iperf3.pid" || { echo "endpoint iperf3 did not start" >&2; exit 1; }
      changed=1
    fi
    [ -z "$changed" ] || echo changed
    ;;
  down)
    lab=$1 ns=$2
    changed=
    for f in "$lab/run/endpoint-sshd.pid" "$lab/run/endpoint-iperf3.pid"; do
      if pid_alive "$f"; then changed=1; fi
      stop_pidfile "$f"
    done
    if ns_exists "$ns"; then
      # Whatever still runs in the lab's namespace is the lab's (QEMU, iperf3 servers a probe started, ...).
      pids=$(ip netns pids "$ns" || true)
      if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        for _ in $(seq 1 30); do [ -z "$(ip netns pids "$ns" || true)" ] && break; sleep 0.1; done
        pids=$(ip netns pids "$ns" || true)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
      fi
      ip netns delete "$ns"
      changed=1
    fi
    [ -z "$changed" ] || echo changed
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
