import { join } from 'node:path';
import type { Site, Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import { Authority } from '../pki/authority.js';
import { DirTarget, publishSite } from '../pki/publish.js';
import { isFile, SiteDir } from '../pki/site-dir.js';
import { sandboxPublishedDir } from './sandbox-server-certs.js';

/** The demo's one short-lived certificate: inside the 30-day warning, so the sandbox shows a real one. */
export const SANDBOX_SHORT_DAYS = 20;

/**
 * The sandbox makes a demo PKI for at most this many sites (the first ones in tunnels.yml). A fleet-sized sandbox
 * (500 sites) would otherwise spend most of a minute making 500 CAs and 2,000 certificates it only shows, and
 * a quarter of a core re-reading them; a site past these gets one when an operator makes it with `npm run pki`.
 */
export const SANDBOX_PKI_SITES = 10;

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
 * The first SANDBOX_PKI_SITES sites each get a CA and, per tunnel, server and client certificates; the last
 * tunnel's server certificate is issued for 20 days only. A later site is used when its PKI is there (made by
 * `npm run pki -- init <site>` and `issue`). Each server's files are published to `<dataDir>/sandbox-servers`
 * as the instances would fetch them from the bucket.
 */
export async function ensureSandboxPki(
  dataDir: string,
  topology: Topology,
  log: Logger,
): Promise<SandboxServerPki[]> {
  const root = join(dataDir, 'pki');
  const out: SandboxServerPki[] = [];
  for (const [i, site] of topology.sites.entries()) {
    const dir = new SiteDir(root, site.name);
    if (await dir.exists()) {
      // One an operator made may be unfinished (init without issue): the sandbox starts without it.
      const servers = await published(dir, site, dataDir).catch((err: Error) => {
        log.warn(
          { site: site.name, err: err.message },
          'sandbox PKI: unfinished or unreadable for this site; not watched',
        );
        return [];
      });
      out.push(...servers);
    } else if (i < SANDBOX_PKI_SITES) {
      await makeDemoPki(dir, site, log);
      out.push(...(await published(dir, site, dataDir)));
    }
  }
  if (topology.sites.length > SANDBOX_PKI_SITES)
    log.info(
      { sites: topology.sites.length, withPki: new Set(out.map((s) => s.site)).size },
      `sandbox PKI: made for the first ${SANDBOX_PKI_SITES} sites only; \`npm run pki -- init <site>\` makes one for another`,
    );
  return out;
}

async function makeDemoPki(dir: SiteDir, site: Site, log: Logger): Promise<void> {
  const tunnels = site.tunnels.map((t) => t.name);
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

/** Each tunnel's published server files; published first when they are not (also after a start that stopped between). */
async function published(dir: SiteDir, site: Site, dataDir: string): Promise<SandboxServerPki[]> {
  const servers = sandboxPublishedDir(dataDir);
  const tunnels = site.tunnels.map((t) => t.name);
  if (!(await isFile(join(servers, site.name, tunnels.at(-1)!, 'crl.pem'))))
    await publishSite(dir, tunnels, new DirTarget(servers));
  return tunnels.map((tunnel) => ({
    site: site.name,
    tunnel,
    pkiDir: join(servers, site.name, tunnel),
    clientCert: dir.cert(tunnel, 'client'),
  }));
}
