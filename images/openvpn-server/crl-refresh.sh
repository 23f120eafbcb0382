#!/usr/bin/env bash
# tunnelops: keeps a server's CRL current without restarting openvpn. With crl-verify, openvpn reads the CRL
# file at every client connection, so replacing the file (atomically) is all a revocation needs.
# usage: crl-refresh.sh [--once] DEST_CRL CA_FILE -- FETCH_COMMAND...
#   FETCH_COMMAND prints the published CRL on stdout, e.g. aws s3 cp s3://<bucket>/<site>/<tunnel>/crl.pem -
# A fetched CRL replaces DEST_CRL only when it is signed by CA_FILE and its CRL number is higher: a failed
# fetch, a truncated file or an older copy never replace a good CRL (a bad CRL would refuse every client).
# Every CRL_REFRESH_SECONDS (default 30), so a published revocation is enforced within a minute.
set -uo pipefail

INTERVAL=${CRL_REFRESH_SECONDS:-30}
once=0
if [ "${1:-}" = --once ]; then once=1; shift; fi
[ $# -ge 4 ] && [ "$3" = -- ] || { echo "usage: crl-refresh.sh [--once] DEST_CRL CA_FILE -- FETCH_COMMAND..." >&2; exit 2; }
dest=$1
ca=$2
shift 3

log() { echo "crl-refresh: $*" >&2; }
# The CRL number in decimal, empty when the file has none or is not a CRL.
number() {
  local hex
  hex=$(openssl crl -in "$1" -noout -crlnumber 2>/dev/null | sed -n 's/^crlNumber=0x//p')
  [ -n "$hex" ] && echo $((16#$hex))
}

refresh() {
  local tmp="$dest.new.$$" old new
  if ! "$@" >"$tmp" 2>/dev/null || [ ! -s "$tmp" ]; then
    log "fetch failed; keeping the current CRL"
    rm -f "$tmp"
    return 1
  fi
  if ! openssl crl -in "$tmp" -CAfile "$ca" -noout 2>&1 | grep -q '^verify OK'; then
    log "the fetched CRL is not a CRL signed by $ca; keeping the current one"
    rm -f "$tmp"
    return 1
  fi
  if cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
    return 0
  fi
  new=$(number "$tmp")
  old=$(number "$dest" 2>/dev/null || true)
  if [ -z "$new" ] || { [ -n "$old" ] && [ "$new" -le "$old" ]; }; then
    log "the fetched CRL (number ${new:-none}) is not newer than the current one (${old:-none}); keeping it"
    rm -f "$tmp"
    return 1
  fi
  chmod 0644 "$tmp" && mv -f "$tmp" "$dest" && log "CRL number ${old:-none} -> $new installed at $dest"
}

while true; do
  refresh "$@"
  rc=$?
  [ "$once" = 1 ] && exit "$rc"
  sleep "$INTERVAL" &
  wait $! || true
done
