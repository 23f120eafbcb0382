import { join } from 'node:path';
import type { Site, Topology } from '../config/topology-schema.js';
import type { CertId } from '../domain/rotation-plan.js';
import { tunnelKey } from '../domain/topology.js';
import { DirPublishedCerts } from './dir-published-certs.js';

/**
 * The sandbox's certificate "bucket": `npm run pki -- publish <site> --dir <data dir>/sandbox-servers` puts each
 * tunnel's server files there, as into the bucket's `<site>/<tunnel>/` prefixes.
 */
export const sandboxPublishedDir = (dataDir: string): string => join(dataDir, 'sandbox-servers');

/**
 * What each simulated server loaded: the certificate published for it when the sandbox started, and again
 * whenever a redeploy of it completes (a real server reads its files only when it starts); and the certificate
 * fault its CertWatch sees. The simulated monitors report both in their heartbeats, as the real ones do.
 */
export class SandboxServerCerts {
  readonly published: DirPublishedCerts;
  private readonly loaded = new Map<string, CertId>();
  private readonly watches = new Map<string, { fault(): string | null }>();

  constructor(dataDir: string) {
    this.published = new DirPublishedCerts(sandboxPublishedDir(dataDir));
  }

  running(site: string, tunnel: string): CertId | undefined {
    return this.loaded.get(tunnelKey(site, tunnel));
  }

  /** The CertWatch reading this server's files (the sandbox's stand-in for the one beside each real server). */
  watch(site: string, tunnel: string, watch: { fault(): string | null }): void {
    this.watches.set(tunnelKey(site, tunnel), watch);
  }

  /** A certificate that stops this server's tunnel (expired, revoked...), as its CertWatch last read it. */
  fault(site: string, tunnel: string): string | null {
    return this.watches.get(tunnelKey(site, tunnel))?.fault() ?? null;
  }

  /** The server (re)starts: it loads what is published now (nothing published: nothing loaded). */
  async start(site: Site, tunnel: string): Promise<void> {
    const cert = await this.published.published(site, tunnel).catch(() => null);
    if (cert) this.loaded.set(tunnelKey(site.name, tunnel), cert);
    else this.loaded.delete(tunnelKey(site.name, tunnel));
  }

  async startAll(topology: Topology): Promise<void> {
    for (const site of topology.sites) for (const t of site.tunnels) await this.start(site, t.name);
  }
}
