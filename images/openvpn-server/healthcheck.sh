#!/usr/bin/env bash
# Healthy when openvpn runs and its tun device exists. The tunnel's end-to-end health is the monitor's job.
RUN_DIR=${RUN_DIR:-/run/tunnelops}
TUN_DEV=${TUN_DEV:-tun0}
pid=$(cat "$RUN_DIR/openvpn.pid" 2>/dev/null) || { echo "no openvpn pid file"; exit 1; }
kill -0 "$pid" 2>/dev/null || { echo "openvpn (pid $pid) is not running"; exit 1; }
ip link show dev "$TUN_DEV" >/dev/null 2>&1 || { echo "$TUN_DEV is missing"; exit 1; }
echo "openvpn $pid up on $TUN_DEV"
