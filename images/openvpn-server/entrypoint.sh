#!/usr/bin/env bash
# tunnelops OpenVPN server entrypoint: render the config from the topology, set up forwarding in our own
# iptables chain (never flushing the host's), then run openvpn and, beside it, the tunnel monitor.
# Needs CAP_NET_ADMIN and /dev/net/tun (docker run --cap-add NET_ADMIN --device /dev/net/tun), not --privileged.
set -euo pipefail

TUN_DEV=${TUN_DEV:-tun0}
TUN_DEVICE=${TUN_DEVICE:-/dev/net/tun}
PKI_DIR=${PKI_DIR:-/etc/openvpn/pki}
RUN_DIR=${RUN_DIR:-/run/tunnelops}
CHAIN=${IPTABLES_CHAIN:-TUNNELOPS-FWD}
RENDER_CONFIG=${RENDER_CONFIG:-node /opt/tunnelops/render-config.mjs}
MONITOR_ENABLED=${MONITOR_ENABLED:-1}
MONITOR_CMD=${MONITOR_CMD:-node /opt/tunnelops/monitor.mjs}
MONITOR_USER=${MONITOR_USER:-node}

log() { echo "tunnelops-server: $*" >&2; }
die() { log "$*"; exit 1; }

[ -c "$TUN_DEVICE" ] || die "/dev/net/tun is missing: run with --device /dev/net/tun (and --cap-add NET_ADMIN)"
for f in ca.crt server.crt server.key tls-crypt.key crl.pem; do
  [ -r "$PKI_DIR/$f" ] || die "$PKI_DIR/$f is missing: mount this server's own certificate, key, tls-crypt key and the site's CRL (npm run pki -- publish)"
done
mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"

if [ -n "${TUNNELOPS_TOPOLOGY:-}" ]; then
  [ -n "${TUNNELOPS_SITE:-}" ] && [ -n "${TUNNELOPS_TUNNEL:-}" ] || die "TUNNELOPS_SITE and TUNNELOPS_TUNNEL are required with TUNNELOPS_TOPOLOGY"
  # shellcheck disable=SC2086 # RENDER_CONFIG is a command line
  $RENDER_CONFIG --topology "$TUNNELOPS_TOPOLOGY" --site "$TUNNELOPS_SITE" --tunnel "$TUNNELOPS_TUNNEL" \
    --pki "$PKI_DIR" --out "$RUN_DIR" --port "${OPENVPN_PORT:-1194}" --tun-dev "$TUN_DEV" \
    ${TUNNEL_NETWORK:+--tunnel-network "$TUNNEL_NETWORK"} ${VPC_CIDRS:+--vpc-cidrs "$VPC_CIDRS"} \
    ${PEER_CERT_HOOK:+--peer-cert-hook "$PEER_CERT_HOOK"} >&2
  # Where openvpn (as nobody, the rendered config's user) exports and keeps the client's certificate at each
  # handshake (tls-export-cert, peer-cert.sh); without it every handshake would fail.
  install -d -o nobody -g nogroup -m 0755 "$RUN_DIR/peer"
fi
CONFIG=${OPENVPN_CONFIG:-$RUN_DIR/server.conf}
[ -r "$CONFIG" ] || die "no config at $CONFIG: set TUNNELOPS_TOPOLOGY (+ SITE, TUNNEL) or OPENVPN_CONFIG"

if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
  sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || log "warning: cannot enable ip_forward here; start the container with --sysctl net.ipv4.ip_forward=1"
fi

# Our own chain, jumped to from FORWARD. Rules are added only when missing, so restarts and two servers
# sharing a host network stay idempotent; on exit only our own rules go.
RULES=("-i $TUN_DEV -j ACCEPT" "-o $TUN_DEV -j ACCEPT")
iptables -w -N "$CHAIN" 2>/dev/null || true
for r in "${RULES[@]}"; do
  # shellcheck disable=SC2086
  iptables -w -C "$CHAIN" $r 2>/dev/null || iptables -w -A "$CHAIN" $r
done
iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$CHAIN"

# Credential endpoints for root and the monitor only. openvpn (it parses what the internet sends) runs as
# nobody (server.conf's user): it gets neither instance metadata (the instance role) nor the ECS task-role endpoint (the
# monitor's role), whether it asks 169.254.170.2 (DNAT'ed by the ECS agent, hence the conntrack match) or the
# agent's own port; nor does any other uid but root and the monitor's. Packets from the tunnel never reach
# link-local addresses either. In host networking these are the host's own OUTPUT rules: added only when
# missing, and left in place on exit (they only deny, and another server on this network may rely on them).
CRED_CHAIN=${CREDENTIALS_CHAIN:-TUNNELOPS-CREDS}
ECS_AGENT_CREDENTIALS_PORT=${ECS_AGENT_CREDENTIALS_PORT:-51679}
monitor_uid=$(id -u "$MONITOR_USER" 2>/dev/null || echo 0)
CRED_RULES=(
  "-m owner --uid-owner 0 -j RETURN"
  "-m owner --uid-owner $monitor_uid -d 169.254.170.2/32 -j RETURN"
  "-m owner --uid-owner $monitor_uid -m conntrack --ctorigdst 169.254.170.2/32 -j RETURN"
  "-m owner --uid-owner $monitor_uid -d 127.0.0.1/32 -p tcp --dport $ECS_AGENT_CREDENTIALS_PORT -j RETURN"
  "-d 169.254.169.254/32 -j REJECT"
  "-d 169.254.170.2/32 -j REJECT"
  "-m conntrack --ctorigdst 169.254.170.2/32 -j REJECT"
  "-d 127.0.0.1/32 -p tcp --dport $ECS_AGENT_CREDENTIALS_PORT -j REJECT"
)
iptables -w -N "$CRED_CHAIN" 2>/dev/null || true
for r in "${CRED_RULES[@]}"; do
  # shellcheck disable=SC2086
  iptables -w -C "$CRED_CHAIN" $r 2>/dev/null || iptables -w -A "$CRED_CHAIN" $r
done
iptables -w -C OUTPUT -j "$CRED_CHAIN" 2>/dev/null || iptables -w -I OUTPUT 1 -j "$CRED_CHAIN"
RULES=("-i $TUN_DEV -d 169.254.0.0/16 -j DROP" "${RULES[@]}")
# shellcheck disable=SC2086
iptables -w -C "$CHAIN" ${RULES[0]} 2>/dev/null || iptables -w -I "$CHAIN" 1 ${RULES[0]}

# The task-role credential variables are the monitor's alone: openvpn starts without them.
CREDENTIAL_VARS=(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
  AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN)
WITHOUT_CREDENTIALS=(env)
for v in "${CREDENTIAL_VARS[@]}"; do WITHOUT_CREDENTIALS+=(-u "$v"); done

MONITOR_RESTART_SECONDS=${MONITOR_RESTART_SECONDS:-5}
# How long the monitor gets to hand traffic over (its goodbye) before openvpn stops, then openvpn itself. The
# defaults are src/monitor/stop-budget.ts's; infra/ passes them and sets ECS stopTimeout to their sum + margin.
MONITOR_STOP_SECONDS=${MONITOR_STOP_SECONDS:-15}
OPENVPN_STOP_SECONDS=${OPENVPN_STOP_SECONDS:-5}
openvpn_pid=
monitor_pid=

start_monitor() {
  # The monitor reads the same topology and watches this tunnel unless told otherwise.
  export MONITOR_SITE=${MONITOR_SITE:-${TUNNELOPS_SITE:-}} MONITOR_TUNNEL=${MONITOR_TUNNEL:-${TUNNELOPS_TUNNEL:-}}
  export MONITOR_PROBE_SOURCE=${MONITOR_PROBE_SOURCE:-$TUN_DEV}
  # The client certificate of the last handshake (peer-cert.sh): its days left are CertDaysLeft role client.
  export MONITOR_PEER_CERT=${MONITOR_PEER_CERT:-$RUN_DIR/peer/client.crt}
  # The monitor needs no privileges: it probes on-prem targets through the tunnel and reports health.
  # shellcheck disable=SC2086
  setpriv --reuid="$MONITOR_USER" --regid="$(id -gn "$MONITOR_USER")" --init-groups $MONITOR_CMD &
  monitor_pid=$!
}

# Waits up to $2 seconds for pid $1 to exit, then kills it.
wait_bounded() {
  local pid=$1 tenths=$(($2 * 10))
  while [ "$tenths" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; tenths=$((tenths - 1)); done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The monitor goes first: on SIGTERM it reports this tunnel down and, if it carries traffic, moves it to the
# other tunnel (the fast path) while openvpn still runs; then openvpn stops and our rules go.
stop_all() {
  trap - TERM INT EXIT
  if [ -n "$monitor_pid" ] && kill -0 "$monitor_pid" 2>/dev/null; then
    kill -TERM "$monitor_pid" 2>/dev/null || true
    wait_bounded "$monitor_pid" "$MONITOR_STOP_SECONDS"
  fi
  if [ -n "$openvpn_pid" ]; then
    kill -TERM "$openvpn_pid" 2>/dev/null || true
    wait_bounded "$openvpn_pid" "$OPENVPN_STOP_SECONDS"
  fi
  for r in "${RULES[@]}"; do
    # shellcheck disable=SC2086
    iptables -w -D "$CHAIN" $r 2>/dev/null || true
  done
}
trap 'stop_all; exit 143' TERM INT
trap stop_all EXIT

"${WITHOUT_CREDENTIALS[@]}" openvpn --config "$CONFIG" --writepid "$RUN_DIR/openvpn.pid" &
openvpn_pid=$!
[ "$MONITOR_ENABLED" = 1 ] && start_monitor

# openvpn ending ends the container (the orchestrator replaces it), after the monitor's goodbye. The monitor
# ending alone does not: the tunnel still carries traffic, so it is restarted (its silence meanwhile is an alert
# on the other side, not a failover).
set +e
while true; do
  wait -n -p exited
  rc=$?
  if [ "${exited:-}" = "$openvpn_pid" ] || ! kill -0 "$openvpn_pid" 2>/dev/null; then
    log "openvpn exited (status $rc); the monitor hands over, then stopping"
    openvpn_pid=
    stop_all
    exit "$rc"
  fi
  if [ -n "$monitor_pid" ] && ! kill -0 "$monitor_pid" 2>/dev/null; then
    log "monitor exited (status $rc); restarting it in ${MONITOR_RESTART_SECONDS}s"
    sleep "$MONITOR_RESTART_SECONDS" &
    wait $!
    start_monitor
  fi
done
