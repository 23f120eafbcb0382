import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadTopology } from '../src/config/load-topology.js';
import type { Site, Topology } from '../src/config/topology-schema.js';

/**
 * Renders an OpenVPN server config for one tunnel from the topology (tunnels.yml), so the on-prem CIDRs live in
 * one place: `route` lines in server.conf and the matching `iroute` lines in the client's ccd file.
 * The server image runs this at container start; the lab runs the same code through the same entrypoint.
 */
export interface ServerRenderInput {
  topology: Topology;
  site: string;
  tunnel: string;
  /** Directory holding ca.crt, server.crt, server.key, tls-crypt.key. */
  pkiDir: string;
  /** Where server.conf, ccd/ and status.log go. */
  runDir: string;
  port?: number;
  /** Tunnel (point-to-multipoint) network; defaults to 100.64.<n>.0/24 by site and tunnel position. */
  tunnelNetwork?: string;
  /** VPC CIDRs pushed to the client so replies come back through the tunnel. */
  vpcCidrs?: readonly string[];
  clientCn?: string;
  tunDev?: string;
  user?: string;
  group?: string;
  /** The tls-verify hook that keeps the client's certificate (images/openvpn-server/peer-cert.sh). */
  peerCertHook?: string;
}

export interface RenderedServer {
  config: string;
  clientCn: string;
  /** File name (the client's common name) and body of the ccd file. */
  ccd: { name: string; text: string };
}

const here = dirname(fileURLToPath(import.meta.url));
export const SERVER_TEMPLATE = join(here, 'openvpn-server', 'server.conf');

/** "10.20.0.0/16" -> ["10.20.0.0", "255.255.0.0"]; rejects host bits so a typo cannot widen a route. */
export function cidrToNetmask(cidr: string): [string, string] {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const octets = (addr ?? '').split('.').map(Number);
  if (
    octets.length !== 4 ||
    octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) ||
    !(bits >= 0 && bits <= 32)
  ) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const value = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  if ((value & ~mask) >>> 0 !== 0) throw new Error(`CIDR ${cidr} has host bits set`);
  const dotted = [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
  return [addr!, dotted];
}

/** Fills {{NAME}} placeholders; a placeholder without a value is an error, never an empty line. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return v;
  });
}

export function renderServer(
  input: ServerRenderInput,
  template = readFileSync(SERVER_TEMPLATE, 'utf8'),
): RenderedServer {
  const siteIndex = input.topology.sites.findIndex((s) => s.name === input.site);
  const site: Site | undefined = input.topology.sites[siteIndex];
  if (!site) throw new Error(`site "${input.site}" is not in the topology`);
  const tunnelIndex = site.tunnels.findIndex((t) => t.name === input.tunnel);
  if (tunnelIndex < 0) throw new Error(`site "${site.name}" has no tunnel "${input.tunnel}"`);
  const [tunNet, tunMask] = cidrToNetmask(
    input.tunnelNetwork ?? `100.64.${siteIndex * 2 + tunnelIndex}.0/24`,
  );
  const clientCn = input.clientCn ?? `${site.name}-${input.tunnel}-client`;
  const onPrem = site.onPremCidrs.map(cidrToNetmask);
  const config = fillTemplate(template, {
    TUN_DEV: input.tunDev ?? 'tun0',
    PORT: String(input.port ?? 1194),
    TUNNEL_NETWORK: tunNet,
    TUNNEL_NETMASK: tunMask,
    PKI_DIR: input.pkiDir,
    CLIENT_CN: clientCn,
    CCD_DIR: join(input.runDir, 'ccd'),
    ONPREM_ROUTES: onPrem.map(([n, m]) => `route ${n} ${m}`).join('\n'),
    PUSH_ROUTES: (input.vpcCidrs ?? []).map((c) => `push "route ${cidrToNetmask(c).join(' ')}"`).join('\n'),
    RUN_USER: input.user ?? 'nobody',
    RUN_GROUP: input.group ?? 'nogroup',
    RUN_DIR: input.runDir,
    PEER_CERT_HOOK: input.peerCertHook ?? '/usr/local/bin/peer-cert.sh',
  });
  const ccd = `# ${site.name}/${input.tunnel}: on-prem networks behind this client\n${onPrem
    .map(([n, m]) => `iroute ${n} ${m}`)
    .join('\n')}\n`;
  return { config, clientCn, ccd: { name: clientCn, text: ccd } };
}

/** Writes server.conf and ccd/<client cn> into runDir; returns the config path. */
export function writeServer(input: ServerRenderInput): string {
  const rendered = renderServer(input);
  mkdirSync(join(input.runDir, 'ccd'), { recursive: true, mode: 0o755 });
  const path = join(input.runDir, 'server.conf');
  writeFileSync(path, rendered.config);
  writeFileSync(join(input.runDir, 'ccd', rendered.ccd.name), rendered.ccd.text, { mode: 0o644 });
  return path;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string' },
      site: { type: 'string' },
      tunnel: { type: 'string' },
      pki: { type: 'string' },
      out: { type: 'string' },
      port: { type: 'string' },
      'tunnel-network': { type: 'string' },
      'vpc-cidrs': { type: 'string' },
      'client-cn': { type: 'string' },
      'tun-dev': { type: 'string' },
      'peer-cert-hook': { type: 'string' },
    },
  });
  const need = (k: 'topology' | 'site' | 'tunnel' | 'pki' | 'out'): string => {
    const v = values[k];
    if (!v)
      throw new Error(
        `--${k} is required (render-config --topology tunnels.yml --site S --tunnel T --pki DIR --out DIR)`,
      );
    return v;
  };
  const path = writeServer({
    topology: loadTopology(need('topology')),
    site: need('site'),
    tunnel: need('tunnel'),
    pkiDir: need('pki'),
    runDir: need('out'),
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['tunnel-network'] ? { tunnelNetwork: values['tunnel-network'] } : {}),
    vpcCidrs: (values['vpc-cidrs'] ?? '').split(/[,\s]+/).filter(Boolean),
    ...(values['client-cn'] ? { clientCn: values['client-cn'] } : {}),
    ...(values['tun-dev'] ? { tunDev: values['tun-dev'] } : {}),
    ...(values['peer-cert-hook'] ? { peerCertHook: values['peer-cert-hook'] } : {}),
  });
  console.log(`render-config: wrote ${path}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`render-config: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
