import type { Site } from '../../config/topology-schema.js';
import { CERT_REPORT_NS, type CertEntry, type CertReport, mergeReports } from '../../domain/cert-expiry.js';
import type { Store } from '../../ports/store.js';

/** One site's certificates in play as its servers' monitors last reported them (nearest expiry first). */
export interface SiteCerts {
  site: string;
  entries: CertEntry[];
  /** Each server's certificate fault, when one stops its tunnel. */
  faults: Array<{ tunnel: string; fault: string }>;
  /** ISO time of the oldest report read; null when no server has reported. */
  oldestReport: string | null;
}

/** Reads the monitors' certificate reports (one store list per site). */
export async function readSiteCerts(store: Store, sites: readonly Site[]): Promise<SiteCerts[]> {
  return Promise.all(
    sites.map(async (site) => {
      const known = new Set(site.tunnels.map((t) => t.name));
      const reports = (await store.list<CertReport>(CERT_REPORT_NS, { site: site.name }))
        .map((r) => r.value)
        .filter((r) => r.site === site.name && known.has(r.tunnel));
      return {
        site: site.name,
        entries: mergeReports(reports),
        faults: reports.flatMap((r) => (r.fault ? [{ tunnel: r.tunnel, fault: r.fault }] : [])),
        oldestReport: reports.map((r) => r.at).sort()[0] ?? null,
      };
    }),
  );
}
