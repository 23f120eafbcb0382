import { join } from 'node:path';
import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import { Authority } from '../pki/authority.js';
import { DirTarget, publishSite } from '../pki/publish.js';
import { isFile, SiteDir } from '../pki/site-dir.js';
import { sandboxPublishedDir } from './sandbox-server-certs.js';

/** The demo's one short-lived certificate: inside the 30-day warning, so the sandbox shows a real one. */
export const SANDBOX_SHORT_DAYS = 20;

export interface SandboxServerPki {
  site: string;
  tunnel: string;
  /** What the server would have in PKI_DIR (published from the site's PKI, as to the bucket). */
  pkiDir: string;
  /** The client certificate its on-prem client presents at the handshake. */
  clientCert: string;
}

/**
 * The sandbox's own PKI, made at first start in `<dataDir>/pki` (where `npm run pki` looks when no
 * TUNNELOPS_PKI_DIR is set) by the product's PKI code, and reused on every later start (keys are made once).
 * Each site gets a CA and, per tunnel, server and client certificates; the last tunnel's server certificate
 * is issued for 20 days only. Each server's files are published to `<dataDir>/sandbox-servers` as the
 * instances would fetch them from the bucket.
 */
export async function ensureSandboxPki(
  dataDir: string,
  topology: Topology,
  log: Logger,
): Promise<SandboxServerPki[]> {
  const root = join(dataDir, 'pki');
  const servers = sandboxPublishedDir(dataDir);
  const out: SandboxServerPki[] = [];
  for (const site of topology.sites) {
    const dir = new SiteDir(root, site.name);
    const tunnels = site.tunnels.map((t) => t.name);
    if (!(await dir.exists())) {
      const authority = new Authority(dir);
      await authority.init();
      const short = tunnels.at(-1)!;
      await authority.issue(tunnels.filter((t) => t !== short));
      await authority.issue([short], ['client']);
      await authority.issue([short], ['server'], SANDBOX_SHORT_DAYS);
      log.info(
        { site: site.name, dir: dir.dir },
        `sandbox PKI made (${site.name}-${short}-server expires in ${SANDBOX_SHORT_DAYS} days)`,
      );
    }
    // Also after a start that stopped between making and publishing.
    if (!(await isFile(join(servers, site.name, tunnels.at(-1)!, 'crl.pem'))))
      await publishSite(dir, tunnels, new DirTarget(servers));
    for (const tunnel of tunnels)
      out.push({
        site: site.name,
        tunnel,
        pkiDir: join(servers, site.name, tunnel),
        clientCert: dir.cert(tunnel, 'client'),
      });
  }
  return out;
}
