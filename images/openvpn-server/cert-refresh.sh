#!/usr/bin/env bash
# tunnelops: puts a newly published server certificate and key in place on the host, for the server's next start
# (openvpn reads them only when it starts; `/vpn rotate` restarts each server while it carries no traffic).
# usage: cert-refresh.sh [--once] PKI_DIR -- FETCH_COMMAND...
#   FETCH_COMMAND prints one published file on stdout; each {} in it is replaced by the file name, e.g.
#   aws s3 cp s3://<bucket>/<site>/<tunnel>/{} -
# A fetched pair replaces PKI_DIR/server.{crt,key} only when the certificate is signed by PKI_DIR/ca.crt, valid
# now, made for a server, and matches the key: a failed fetch, garbage or a mismatched pair keep the current
# one. The key is moved in first, right before the certificate. Every CERT_REFRESH_SECONDS (default 30).
set -uo pipefail

INTERVAL=${CERT_REFRESH_SECONDS:-30}
once=0
if [ "${1:-}" = --once ]; then once=1; shift; fi
[ $# -ge 3 ] && [ "$2" = -- ] || { echo "usage: cert-refresh.sh [--once] PKI_DIR -- FETCH_COMMAND..." >&2; exit 2; }
dir=$1
shift 2

log() { echo "cert-refresh: $*" >&2; }
fetch() {
  local name=$1 a
  local args=()
  shift
  for a in "$@"; do args+=("${a//\{\}/$name}"); done
  "${args[@]}"
}

refresh() {
  local crt="$dir/server.crt.new.$$" key="$dir/server.key.new.$$" pub
  if ! (umask 077 && fetch server.key "$@" >"$key") 2>/dev/null || [ ! -s "$key" ] ||
    ! fetch server.crt "$@" >"$crt" 2>/dev/null || [ ! -s "$crt" ]; then
    log "fetch failed; keeping the current certificate"
    rm -f "$crt" "$key"
    return 1
  fi
  if cmp -s "$crt" "$dir/server.crt" && cmp -s "$key" "$dir/server.key"; then
    rm -f "$crt" "$key"
    return 0
  fi
  if ! openssl verify -CAfile "$dir/ca.crt" -purpose sslserver "$crt" >/dev/null 2>&1; then
    log "the fetched certificate is not a current server certificate signed by $dir/ca.crt; keeping the current one"
    rm -f "$crt" "$key"
    return 1
  fi
  pub=$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null)
  if [ -z "$pub" ] || [ "$pub" != "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]; then
    log "the fetched key does not match the fetched certificate; keeping the current pair"
    rm -f "$crt" "$key"
    return 1
  fi
  chmod 0600 "$key" && chmod 0644 "$crt" && mv -f "$key" "$dir/server.key" && mv -f "$crt" "$dir/server.crt" &&
    log "installed $(openssl x509 -in "$dir/server.crt" -noout -serial) for the server's next start"
}

while true; do
  refresh "$@"
  rc=$?
  [ "$once" = 1 ] && exit "$rc"
  sleep "$INTERVAL" &
  wait $! || true
done
