#!/bin/sh
# openvpn tls-verify hook (server.conf): keeps the certificate the on-prem client presented at the last
# handshake, so the monitor can report its days left (CertDaysLeft role client) and its faults. Arguments: the
# destination file, then openvpn's depth and subject; openvpn exports the certificate to $peer_cert
# (tls-export-cert). It only copies: it always accepts (exit 0), so it can never refuse a client; who may
# connect is decided by the CA, the CRL and verify-x509-name.
dest=$1
depth=$2
if [ "$depth" = 0 ] && [ -n "${peer_cert:-}" ] && [ -r "$peer_cert" ]; then
  cp "$peer_cert" "$dest.tmp" 2>/dev/null && mv -f "$dest.tmp" "$dest" 2>/dev/null
fi
exit 0
