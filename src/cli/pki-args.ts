import { parseArgs } from 'node:util';
import { REVOCATION_REASONS, type RevocationReason } from '../pki/crl.js';
import type { LeafRole } from '../pki/names.js';
import { EXIT, UsageError } from './vpn-args.js';

export { EXIT, UsageError };

export const PKI_COMMANDS = ['init', 'issue', 'renew', 'revoke', 'crl', 'list', 'publish', 'bundle'] as const;
export type PkiCommand = (typeof PKI_COMMANDS)[number];

export interface PkiArgs {
  command: PkiCommand | 'help';
  site?: string;
  pkiDir?: string;
  caKey?: string;
  topology?: string;
  tunnels: string[];
  roles: LeafRole[];
  days?: number;
  caDays?: number;
  crlDays?: number;
  serial?: string;
  reason: RevocationReason;
  json: boolean;
  bucket?: string;
  kmsKey?: string;
  region?: string;
  dir?: string;
  out?: string;
  remotes: string[];
  port?: number;
  image?: string;
  alsoTrust?: string;
}

/** Which command needs the CA's private key: the rest run where the CA key is not. */
export const NEEDS_CA_KEY: Record<PkiCommand, boolean> = {
  init: false,
  issue: true,
  renew: true,
  revoke: true,
  crl: true,
  list: false,
  publish: false,
  bundle: false,
};

export const PKI_HELP = `npm run pki -- <command> [site] [options]

The PKI of each site: one CA, a server and a client certificate per tunnel (CN <site>-<tunnel>-server and
<site>-<tunnel>-client, never shared), a tls-crypt key per tunnel, and the CRL the servers enforce.

Commands (CA key: where the CA's private key must be present):
  init <site>      Create the site's CA and its first (empty) CRL.                    CA key: created here
                   [--ca-days N (default 3650)] [--crl-days N (default 180)]
  issue <site>     For each tunnel: server certificate, on-prem client certificate    CA key: needed
                   and tls-crypt key. [--tunnel T]... [--role server|client]... [--days N (default 365)]
                   (a revoked certificate's successor: issue --tunnel T --role client)
  renew <site>     New keys and certificates; the old ones stay valid until they      CA key: needed
                   expire or are revoked. [--tunnel T]... [--role server|client]... [--days N]
  revoke <site>    Revoke one certificate and write the new CRL (publish it next).    CA key: needed
                   --serial HEX | --tunnel T --role server|client  [--reason ${REVOCATION_REASONS.join('|')}]
  crl <site>       A new CRL with a fresh next update. OpenVPN refuses every client    CA key: needed
                   once the CRL's next update is past: run it (and publish) before. [--crl-days N]
  list [site]      Every certificate in play (CA, CRL, servers, clients), its expiry  CA key: not needed
                   and days left. [--json: one JSON array of {site, tunnel, role, subject, serial,
                   notAfter, daysLeft, revoked}]
  publish <site>   Each server's ca.crt, server.crt, server.key, tls-crypt.key and     CA key: not needed
                   crl.pem to <site>/<tunnel>/ of the certificate bucket (SSE-KMS) or of a directory.
                   --bucket NAME [--kms-key ID] [--region R] | --dir PATH   [--tunnel T]...
  bundle <site>    What each on-prem client host installs, one directory per tunnel   CA key: not needed
                   (client.crt/.key, ca.crt, tls-crypt.key, client.conf, tunnel.env, systemd unit, README).
                   --out DIR --remote <tunnel>=<server address>... [--port N] [--image NAME]

Options:
  --pki-dir DIR    Where the PKI is (default: $TUNNELOPS_PKI_DIR, else $TUNNELOPS_DATA_DIR/pki, else .data/pki).
  --ca-key FILE    The CA key when it is kept elsewhere (offline medium); default <pki-dir>/<site>/ca.key.
  --topology FILE  The topology that names each site's tunnels (default: $TUNNELOPS_TOPOLOGY, else tunnels.yml).
  --also-trust DIR publish, bundle: during a CA rollover, also trust the same site's CA (and its CRL) from
                   the PKI directory DIR (README, PKI: CA rollover).
  -h, --help       This text.

Files: <pki-dir>/<site>/{ca.crt, ca.key, crl.pem, state.json, issued/<serial>.crt,
<tunnel>/{server,client}.{crt,key}, <tunnel>/tls-crypt.key}. Private keys are written 0600 in 0700
directories, and never printed or logged. Keep the PKI directory out of the repository.

Environment: TUNNELOPS_PKI_DIR, TUNNELOPS_DATA_DIR, TUNNELOPS_TOPOLOGY; for --bucket the usual AWS
settings (AWS_REGION, AWS_PROFILE or keys; AWS_ENDPOINT_URL for an emulator).
Exit status: 0 done, 1 refused or failed (nothing changed), 2 the command line is wrong.`;

function intOption(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max)
    throw new UsageError(`--${name} ${value}: expected a whole number from 1 to ${max}`);
  return n;
}

export function parsePkiArgs(argv: readonly string[]): PkiArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [command, site, ...extra] = positionals;
  const base = { tunnels: [], roles: [], reason: 'unspecified' as const, json: false, remotes: [] };
  if (v.help || !command || command === 'help') return { ...base, command: 'help' };
  if (!(PKI_COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command "${command.slice(0, 40)}": one of ${PKI_COMMANDS.join(', ')}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]?.slice(0, 40)}"`);
  if (!site && command !== 'list')
    throw new UsageError(`usage: npm run pki -- ${command} <site> (see --help)`);
  const roles = (v.role ?? []).map((r) => {
    if (r !== 'server' && r !== 'client') throw new UsageError(`--role ${r.slice(0, 40)}: server or client`);
    return r;
  });
  const reason = v.reason ?? 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason))
    throw new UsageError(`--reason ${reason.slice(0, 40)}: one of ${REVOCATION_REASONS.join(', ')}`);
  return {
    command: command as PkiCommand,
    ...(site ? { site } : {}),
    ...(v['pki-dir'] ? { pkiDir: v['pki-dir'] } : {}),
    ...(v['ca-key'] ? { caKey: v['ca-key'] } : {}),
    ...(v.topology ? { topology: v.topology } : {}),
    tunnels: v.tunnel ?? [],
    roles,
    days: intOption('days', v.days, 3650),
    caDays: intOption('ca-days', v['ca-days'], 36500),
    crlDays: intOption('crl-days', v['crl-days'], 3650),
    ...(v.serial ? { serial: v.serial } : {}),
    reason: reason as RevocationReason,
    json: Boolean(v.json),
    ...(v.bucket ? { bucket: v.bucket } : {}),
    ...(v['kms-key'] ? { kmsKey: v['kms-key'] } : {}),
    ...(v.region ? { region: v.region } : {}),
    ...(v.dir ? { dir: v.dir } : {}),
    ...(v.out ? { out: v.out } : {}),
    remotes: v.remote ?? [],
    port: intOption('port', v.port, 65535),
    ...(v.image ? { image: v.image } : {}),
    ...(v['also-trust'] ? { alsoTrust: v['also-trust'] } : {}),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'pki-dir': { type: 'string' },
      'ca-key': { type: 'string' },
      topology: { type: 'string' },
      tunnel: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      days: { type: 'string' },
      'ca-days': { type: 'string' },
      'crl-days': { type: 'string' },
      serial: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      bucket: { type: 'string' },
      'kms-key': { type: 'string' },
      region: { type: 'string' },
      dir: { type: 'string' },
      out: { type: 'string' },
      remote: { type: 'string', multiple: true },
      port: { type: 'string' },
      image: { type: 'string' },
      'also-trust': { type: 'string' },
    },
  });
}
