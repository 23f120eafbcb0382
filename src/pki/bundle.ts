import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillTemplate } from '../../images/render-config.js';
import { BadRequestError } from '../domain/errors.js';
import { clientCn, serverCn } from './names.js';
import { currentRecord } from './pki-state.js';
import { readBounded, type SiteDir, writePublic, writeSecret } from './site-dir.js';
import { trustFiles } from './trust.js';

const CLIENT_TEMPLATE = fileURLToPath(new URL('../../images/openvpn-client/client.conf', import.meta.url));
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

export interface BundleOptions {
  /** tunnel -> the server's public address (its Elastic IP). */
  remotes: ReadonlyMap<string, string>;
  out: string;
  port?: number;
  image?: string;
  /** The other CA during a rollover: its certificate joins ca.crt. */
  alsoTrust?: SiteDir;
}

/** `--remote primary=203.0.113.10` -> ['primary', '203.0.113.10'], refusing anything but a host name or address. */
export function parseRemote(text: string): [string, string] {
  const m = /^([a-z][a-z0-9-]{0,62})=(.+)$/.exec(text);
  if (!m?.[1] || !m[2] || !HOST.test(m[2]))
    throw new BadRequestError(
      `--remote ${text.slice(0, 80)}: expected <tunnel>=<server address>, e.g. primary=203.0.113.10`,
    );
  return [m[1], m[2]];
}

/**
 * What each on-prem client host installs, one directory per tunnel: the client's certificate and key, the CA,
 * the tunnel's tls-crypt key, a rendered client.conf (for OpenVPN without Docker), tunnel.env (the client
 * image's settings), a systemd unit and a README with the install commands. Needs no CA key.
 */
export async function writeBundle(dir: SiteDir, options: BundleOptions): Promise<string[]> {
  const state = await dir.readState();
  const tunnels = [...new Set(state.certs.filter((c) => c.role === 'client').map((c) => c.tunnel))];
  for (const t of options.remotes.keys())
    if (!tunnels.includes(t))
      throw new BadRequestError(
        `--remote ${t}=...: site "${dir.site}" has no client certificate for tunnel "${t}"`,
      );
  const missing = tunnels.filter((t) => !options.remotes.has(t));
  if (missing.length)
    throw new BadRequestError(
      `every tunnel needs its server's address: add ${missing.map((t) => `--remote ${t}=<PublicIp-${t}>`).join(' ')}`,
    );
  const { ca } = await trustFiles(dir, options.alsoTrust);
  const written: string[] = [];
  for (const tunnel of tunnels) {
    if (!currentRecord(state, tunnel, 'client'))
      throw new BadRequestError(
        `tunnel "${tunnel}" has no current client certificate: \`npm run pki -- issue ${dir.site} --tunnel ${tunnel} --role client\``,
      );
    const files = tunnelFiles(dir.site, tunnel, options);
    const out = join(options.out, tunnel);
    await writePublic(join(out, 'ca.crt'), ca);
    await writePublic(join(out, 'client.crt'), await readBounded(dir.cert(tunnel, 'client'), 256 * 1024));
    await writeSecret(join(out, 'client.key'), await readBounded(dir.key(tunnel, 'client'), 64 * 1024));
    await writeSecret(join(out, 'tls-crypt.key'), await readBounded(dir.tlsCrypt(tunnel), 8 * 1024));
    for (const [name, text] of Object.entries(files)) await writePublic(join(out, name), text);
    written.push(out);
  }
  return written;
}

/** The generated (non-secret) files of one tunnel's bundle. */
export function tunnelFiles(site: string, tunnel: string, options: BundleOptions): Record<string, string> {
  const id = `${site}-${tunnel}`;
  const etc = `/etc/tunnelops/${id}`;
  const remote = options.remotes.get(tunnel) ?? '';
  const port = String(options.port ?? 1194);
  const image = options.image ?? 'tunnelops-openvpn-client';
  const unit = `tunnelops-${id}.service`;
  const clientConf = fillTemplate(readFileSync(CLIENT_TEMPLATE, 'utf8'), {
    TUN_DEV: 'tun0',
    REMOTE_HOST: remote,
    REMOTE_PORT: port,
    PKI_DIR: etc,
    SERVER_CN: serverCn(site, tunnel),
    RUN_USER: 'nobody',
    RUN_GROUP: 'nogroup',
    RUN_DIR: `/run/tunnelops-${id}`,
  });
  const env = `# tunnelops ${site}/${tunnel}: settings of the on-prem client container\nREMOTE_HOST=${remote}\nREMOTE_PORT=${port}\nSERVER_CN=${serverCn(site, tunnel)}\nMASQUERADE=1\n`;
  // Host networking: the client forwards between the tunnel and the on-prem LAN. Docker refuses --sysctl with
  // the host's network, so forwarding is switched on by the unit on the host itself.
  const service = `[Unit]
Description=tunnelops ${site}/${tunnel}: on-prem OpenVPN client
Wants=network-online.target
After=network-online.target docker.service
Requires=docker.service

[Service]
ExecStartPre=/usr/sbin/sysctl -qw net.ipv4.ip_forward=1
ExecStartPre=-/usr/bin/docker rm -f tunnelops-${id}
ExecStart=/usr/bin/docker run --rm --name tunnelops-${id} --network host --cap-add NET_ADMIN --device /dev/net/tun --env-file ${etc}/tunnel.env -v ${etc}:/etc/openvpn/pki:ro ${image}
ExecStop=/usr/bin/docker stop -t 10 tunnelops-${id}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
  const readme = `# tunnelops ${site}/${tunnel}: on-prem client

Install on the host of tunnel \`${tunnel}\` only (one host per tunnel). It connects out to ${remote} UDP ${port}
as \`${clientCn(site, tunnel)}\` and accepts only the server certificate \`${serverCn(site, tunnel)}\`.

\`\`\`sh
install -d -m 0700 ${etc}
install -m 0600 client.key tls-crypt.key ${etc}/
install -m 0644 ca.crt client.crt client.conf tunnel.env ${etc}/
install -m 0644 ${unit} /etc/systemd/system/
systemctl daemon-reload && systemctl enable --now tunnelops-${id}
systemctl status tunnelops-${id}; docker logs tunnelops-${id}
\`\`\`

A renewed client certificate: install client.crt and client.key the same way, then
\`systemctl restart tunnelops-${id}\`. Without Docker: \`openvpn --config ${etc}/client.conf\` (OpenVPN 2.6),
with IP forwarding on and the masquerade described in docs/on-prem.md.
`;
  return { 'client.conf': clientConf, 'tunnel.env': env, [unit]: service, 'README.md': readme };
}
