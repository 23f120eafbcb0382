#!/usr/bin/env bash
# tunnelops OpenVPN client entrypoint (on-prem end of one tunnel). Unlike the reference design, it restarts
# openvpn by itself after any failure, with exponential backoff, so no human is needed to bring a tunnel back.
# Needs CAP_NET_ADMIN and /dev/net/tun, not --privileged.
set -euo pipefail

TUN_DEV=${TUN_DEV:-tun0}
PKI_DIR=${PKI_DIR:-/etc/openvpn/pki}
RUN_DIR=${RUN_DIR:-/run/tunnelops}
TEMPLATE=${CLIENT_TEMPLATE:-/etc/tunnelops/client.conf}
REMOTE_PORT=${REMOTE_PORT:-1194}
RUN_USER=${RUN_USER:-nobody}
RUN_GROUP=${RUN_GROUP:-nogroup}
MASQUERADE=${MASQUERADE:-1}
BACKOFF_MAX=${BACKOFF_MAX:-30}
STABLE_SECONDS=${STABLE_SECONDS:-60}
CHAIN=${IPTABLES_CHAIN:-TUNNELOPS-FWD}
NAT_CHAIN=${IPTABLES_NAT_CHAIN:-TUNNELOPS-NAT}
MARK_CHAIN=${IPTABLES_MARK_CHAIN:-TUNNELOPS-MARK}
MARK=${MARK:-0x7e0000/0xff0000}

log() { echo "tunnelops-client: $*" >&2; }
die() { log "$*"; exit 1; }

[ -c /dev/net/tun ] || die "/dev/net/tun is missing: run with --device /dev/net/tun (and --cap-add NET_ADMIN)"
[ -n "${REMOTE_HOST:-}" ] || die "REMOTE_HOST (the server's public address) is required"
[ -n "${SERVER_CN:-}" ] || die "SERVER_CN (the common name of this tunnel's server certificate) is required"
for f in ca.crt client.crt client.key tls-crypt.key; do
  [ -r "$PKI_DIR/$f" ] || die "$PKI_DIR/$f is missing: mount this client's own certificate, key and tls-crypt key"
done
mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"

CONFIG=$RUN_DIR/client.conf
sed -e "s|{{TUN_DEV}}|$TUN_DEV|g" -e "s|{{REMOTE_HOST}}|$REMOTE_HOST|g" -e "s|{{REMOTE_PORT}}|$REMOTE_PORT|g" \
  -e "s|{{PKI_DIR}}|$PKI_DIR|g" -e "s|{{SERVER_CN}}|$SERVER_CN|g" -e "s|{{RUN_USER}}|$RUN_USER|g" \
  -e "s|{{RUN_GROUP}}|$RUN_GROUP|g" -e "s|{{RUN_DIR}}|$RUN_DIR|g" "$TEMPLATE" >"$CONFIG"
if grep -q '{{' "$CONFIG"; then die "unfilled placeholder in $CONFIG: $(grep -o '{{[A-Z_]*}}' "$CONFIG" | sort -u | tr '\n' ' ')"; fi

if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
  sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || log "warning: cannot enable ip_forward here; start the container with --sysctl net.ipv4.ip_forward=1"
fi

# Own chains only, rules added when missing. Traffic from the tunnel is masqueraded onto the on-prem LAN,
# so the on-prem network needs no route back to the VPC and replies follow whichever tunnel carried them.
ensure() { # table chain parent rule...
  local table=$1 chain=$2 parent=$3
  shift 3
  iptables -w -t "$table" -N "$chain" 2>/dev/null || true
  iptables -w -t "$table" -C "$chain" "$@" 2>/dev/null || iptables -w -t "$table" -A "$chain" "$@"
  iptables -w -t "$table" -C "$parent" -j "$chain" 2>/dev/null || iptables -w -t "$table" -I "$parent" 1 -j "$chain"
}
ensure filter "$CHAIN" FORWARD -i "$TUN_DEV" -j ACCEPT
ensure filter "$CHAIN" FORWARD -o "$TUN_DEV" -j ACCEPT
if [ "$MASQUERADE" = 1 ]; then
  ensure mangle "$MARK_CHAIN" PREROUTING -i "$TUN_DEV" -j MARK --set-xmark "$MARK"
  ensure nat "$NAT_CHAIN" POSTROUTING ! -o "$TUN_DEV" -m mark --mark "$MARK" -j MASQUERADE
fi

child=
stopping=0
on_term() {
  stopping=1
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap on_term TERM INT

# Supervise: restart openvpn whenever it exits; back off 1, 2, 4 ... BACKOFF_MAX s, reset after a stable run.
backoff=1
while [ "$stopping" = 0 ]; do
  started=$(date +%s)
  openvpn --config "$CONFIG" --writepid "$RUN_DIR/openvpn.pid" &
  child=$!
  set +e
  wait "$child"
  rc=$?
  # A trapped signal interrupts wait; wait again for openvpn to finish its exit.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  set -e
  child=
  [ "$stopping" = 1 ] && break
  ran=$(($(date +%s) - started))
  [ "$ran" -ge "$STABLE_SECONDS" ] && backoff=1
  log "openvpn exited with status $rc after ${ran}s; restarting in ${backoff}s"
  sleep "$backoff" &
  wait $! || true
  backoff=$((backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2))
done
log "stopped"
