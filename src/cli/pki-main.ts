import { resolve } from 'node:path';
import { type AwsClients, awsClientsFromEnv } from '../aws/clients.js';
import { loadTopology } from '../config/load-topology.js';
import type { CertEntry } from '../domain/cert-expiry.js';
import { ConfigError } from '../domain/errors.js';
import { Authority } from '../pki/authority.js';
import { parseRemote, writeBundle } from '../pki/bundle.js';
import { siteInventory } from '../pki/inventory.js';
import { checkName, clientCn, serverCn } from '../pki/names.js';
import { currentRecord } from '../pki/pki-state.js';
import { DirTarget, type PublishTarget, publishSite, S3Target } from '../pki/publish.js';
import { resolvePkiRoot, SiteDir } from '../pki/site-dir.js';
import { type PkiArgs, UsageError } from './pki-args.js';

export interface PkiIo {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** Runs one parsed `npm run pki` command; errors propagate to the entry point, which prints them. */
export async function runPki(args: PkiArgs, io: PkiIo): Promise<void> {
  const root = resolvePkiRoot(args.pkiDir, io.env);
  const now = io.now ?? (() => new Date());
  if (args.command === 'list') return listCerts(args, root, now(), io);
  const dir = new SiteDir(root, args.site ?? '');
  const authority = new Authority(dir, {
    now,
    report: io.out,
    ...(args.caKey ? { caKeyPath: args.caKey } : {}),
  });
  switch (args.command) {
    case 'init':
      await authority.init(args.caDays, args.crlDays);
      io.out(`next: npm run pki -- issue ${dir.site}`);
      return;
    case 'issue':
      await authority.issue(
        tunnelsOf(args, dir.site, io.env),
        args.roles.length ? args.roles : ['server', 'client'],
        args.days,
      );
      io.out(
        `next: npm run pki -- publish ${dir.site} --bucket <CertBucketName>, then bundle for the on-prem hosts`,
      );
      return;
    case 'renew': {
      const roles = args.roles.length ? args.roles : (['server', 'client'] as const);
      await authority.renew(tunnelsOf(args, dir.site, io.env), roles, args.days);
      io.out(
        'next: publish (servers read their new certificate when redeployed: /vpn rotate does it standby first), and bundle for renewed clients',
      );
      return;
    }
    case 'revoke': {
      const serial = args.serial ?? (await serialByName(dir, args));
      await authority.revoke(serial, args.reason, args.crlDays);
      io.out(
        `next: npm run pki -- publish ${dir.site} --bucket <CertBucketName> (servers load the new CRL within a minute)`,
      );
      return;
    }
    case 'crl':
      await authority.crl(args.crlDays);
      io.out(`next: npm run pki -- publish ${dir.site} --bucket <CertBucketName>`);
      return;
    case 'publish':
      return publish(args, dir, io);
    case 'bundle':
      return bundle(args, dir, io);
    default:
      throw new UsageError(`unknown command ${args.command}`);
  }
}

/** `list [site]`: every site's certificates (or one site's), as JSON or the human table. */
async function listCerts(args: PkiArgs, root: string, now: Date, io: PkiIo): Promise<void> {
  const sites = args.site ? [args.site] : await SiteDir.sites(root);
  if (!args.site && sites.length === 0)
    throw new ConfigError(`no PKI in ${root}: run \`npm run pki -- init <site>\` (or set TUNNELOPS_PKI_DIR)`);
  const entries: CertEntry[] = [];
  for (const site of sites) entries.push(...(await siteInventory(new SiteDir(root, site), now)));
  if (args.json) io.out(JSON.stringify(entries));
  else for (const line of listTable(entries)) io.out(line);
}

/** `publish <site>`: the public files the servers read, to S3 or a directory. */
async function publish(args: PkiArgs, dir: SiteDir, io: PkiIo): Promise<void> {
  const clients = args.bucket ? awsClientsFromEnv({ AWS_ENDPOINT_URL: io.env.AWS_ENDPOINT_URL }) : undefined;
  try {
    const target = publishTarget(args, io.env, clients);
    const written = await publishSite(
      dir,
      args.tunnels.length ? args.tunnels : undefined,
      target,
      alsoTrust(args, dir.site),
    );
    for (const w of written) io.out(`published ${w}`);
  } finally {
    clients?.destroy();
  }
}

/** `bundle <site> --out DIR`: one folder per tunnel for its on-prem client host. */
async function bundle(args: PkiArgs, dir: SiteDir, io: PkiIo): Promise<void> {
  if (!args.out) throw new UsageError('bundle needs --out DIR');
  const remotes = new Map(args.remotes.map(parseRemote));
  const written = await writeBundle(dir, {
    remotes,
    out: args.out,
    ...(args.port ? { port: args.port } : {}),
    ...(args.image ? { image: args.image } : {}),
    ...(args.alsoTrust ? { alsoTrust: alsoTrust(args, dir.site) } : {}),
  });
  for (const w of written)
    io.out(`wrote ${w}/ (copy it to that tunnel's on-prem host only; see its README.md)`);
}

/** The other PKI's same site, for a CA rollover. */
function alsoTrust(args: PkiArgs, site: string): SiteDir | undefined {
  return args.alsoTrust ? new SiteDir(resolve(args.alsoTrust), site) : undefined;
}

/** --tunnel as given, else every tunnel the topology lists for the site. */
function tunnelsOf(args: PkiArgs, site: string, env: NodeJS.ProcessEnv): string[] {
  if (args.tunnels.length) return args.tunnels.map((t) => checkName('tunnel', t));
  const path = args.topology ?? env.TUNNELOPS_TOPOLOGY ?? 'tunnels.yml';
  const found = loadTopology(path).sites.find((s) => s.name === site);
  if (!found)
    throw new ConfigError(`site "${site}" is not in ${path}: name its tunnels with --tunnel <name>`);
  return found.tunnels.map((t) => t.name);
}

async function serialByName(dir: SiteDir, args: PkiArgs): Promise<string> {
  const [tunnel] = args.tunnels;
  const [role] = args.roles;
  if (!tunnel || !role || args.tunnels.length > 1 || args.roles.length > 1)
    throw new UsageError('revoke needs --serial HEX, or one --tunnel T with one --role server|client');
  const record = currentRecord(await dir.readState(), tunnel, role);
  if (!record)
    throw new ConfigError(
      `${role === 'server' ? serverCn(dir.site, tunnel) : clientCn(dir.site, tunnel)} has no current certificate; nothing changed`,
    );
  return record.serial;
}

function publishTarget(
  args: PkiArgs,
  env: NodeJS.ProcessEnv,
  clients: AwsClients | undefined,
): PublishTarget {
  if (Boolean(args.bucket) === Boolean(args.dir))
    throw new UsageError('publish needs exactly one of --bucket NAME or --dir PATH');
  if (args.dir) return new DirTarget(args.dir);
  const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('publish --bucket needs a region: --region R or AWS_REGION');
  return new S3Target(clients!.s3(region), args.bucket!, args.kmsKey);
}

/** The human table: what expires when, soonest problems marked. */
export function listTable(entries: readonly CertEntry[]): string[] {
  const rows = entries.map((e) => [
    e.site,
    e.tunnel ?? '-',
    e.role,
    e.subject,
    e.serial.length > 16 ? `${e.serial.slice(0, 16)}…` : e.serial,
    e.notAfter.slice(0, 16).replace('T', ' '),
    String(e.daysLeft),
    status(e),
  ]);
  const head = ['SITE', 'TUNNEL', 'ROLE', 'SUBJECT', 'SERIAL', 'NOT AFTER (UTC)', 'DAYS', 'STATUS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function status(e: CertEntry): string {
  if (e.revoked) return 'revoked';
  if (e.daysLeft < 0) return 'EXPIRED';
  if (e.daysLeft < 7) return 'expires in <7 days';
  if (e.daysLeft < 30) return 'expires in <30 days';
  return 'ok';
}
