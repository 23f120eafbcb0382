import { chmod, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Authority } from '../../src/pki/authority.js';
import { DirTarget, publishSite } from '../../src/pki/publish.js';
import { SiteDir } from '../../src/pki/site-dir.js';

/** Where one tunnel endpoint finds its files (the layout the images' entrypoints expect in PKI_DIR). */
export interface EndpointPki {
  dir: string;
  commonName: string;
}

export interface TunnelPki {
  server: EndpointPki;
  client: EndpointPki;
}

/** The lab's PKI: the product's own (`npm run pki` code), made at run time, never committed. */
export interface LabPki {
  /** The site's PKI directory (what TUNNELOPS_PKI_DIR holds); the CA key stays in it. */
  site: SiteDir;
  /** The lab's "certificate bucket": `<site>/<tunnel>/` prefixes as publish writes them. */
  bucketDir: string;
  tunnels: Map<string, TunnelPki>;
}

/**
 * A CA, a server and a client certificate per tunnel, a tls-crypt key per tunnel and the CRL, made by the
 * product's PKI code; published to a directory standing in for the bucket. Each server's PKI_DIR is a copy of
 * its prefix (as the instance's boot script fetches it); each client's is its on-prem bundle's files.
 */
export async function createTestPki(root: string, site: string, tunnels: readonly string[]): Promise<LabPki> {
  const dir = new SiteDir(join(root, 'pki'), site);
  const authority = new Authority(dir);
  await authority.init(30, 30);
  await authority.issue(tunnels, ['server', 'client'], 2);
  const bucketDir = join(root, 'bucket');
  await publishSite(dir, tunnels, new DirTarget(bucketDir));
  const result = new Map<string, TunnelPki>();
  for (const tunnel of tunnels) {
    const server = join(root, `${site}-${tunnel}-server`);
    await cp(join(bucketDir, site, tunnel), server, { recursive: true });
    const client = join(root, `${site}-${tunnel}-client`);
    await mkdir(client, { recursive: true });
    await cp(dir.caCrt, join(client, 'ca.crt'));
    await cp(dir.cert(tunnel, 'client'), join(client, 'client.crt'));
    await cp(dir.key(tunnel, 'client'), join(client, 'client.key'));
    await cp(dir.tlsCrypt(tunnel), join(client, 'tls-crypt.key'));
    // Keys stay root-only (0600); directories are traversable so openvpn, once it is nobody, still reads
    // the CRL at each connection (crl-verify) and its ccd.
    for (const d of [root, server, client]) await chmod(d, 0o711);
    result.set(tunnel, {
      server: { dir: server, commonName: `${site}-${tunnel}-server` },
      client: { dir: client, commonName: `${site}-${tunnel}-client` },
    });
  }
  return { site: dir, bucketDir, tunnels: result };
}
