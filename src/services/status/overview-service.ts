import type { Site } from '../../config/topology-schema.js';
import { failoverRuns } from '../../domain/audit.js';
import type { CertEntry } from '../../domain/cert-expiry.js';
import { FLEET_VIEW_SITES } from '../../domain/fleet-summary.js';
import type { HealthGraph } from '../../domain/health-graph.js';
import type { FiringAlarm, Overview } from '../../domain/overview.js';
import type { PendingRequest } from '../../domain/pending.js';
import type { SiteStatus } from '../../domain/status.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import type { AlarmService } from '../alarms/alarm-service.js';
import { readSiteCerts } from '../certs/cert-reports.js';
import type { StatusService } from './status-service.js';
import { UserNames } from './user-names.js';

export interface OverviewServiceProps {
  status: StatusService;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Read per call: the open requests, and the alarm records (tests give stand-ins). */
  pending: () => Promise<PendingRequest[]>;
  alarms: () => AlarmService | undefined;
  /** The sites whose certificate reports the page shows (absent: none). */
  sites?: readonly Site[];
  /** How long a site's health graph is reused (its series has minute periods; default 15 s). */
  graphTtlMs?: number;
  /** A Slack user's display name (users.info); without it the page shows ids. */
  userName?: (id: string) => Promise<string | null>;
}

const FAILOVERS_SHOWN = 10;
/** Certificate expiry moves by the day: the servers' reports are read at most this often. */
const CERTS_TTL_MS = 60_000;
/** Enough audit history to find the last failovers without reading the whole log. */
const AUDIT_LOOKBACK = 1000;

/**
 * The NOC overview: status of every site, health graphs, alarms in ALARM, open requests and the last
 * failovers, as one view model for the status page and GET /api/overview. Each part fails on its own:
 * a store outage empties the lists it feeds, never the status.
 */
export class OverviewService {
  private readonly graphs = new Map<string, { at: number; graph: Promise<HealthGraph | null> }>();
  private readonly people: UserNames | undefined;
  private certs: { at: number; nearest: Promise<Record<string, CertEntry | null>> } | undefined;

  constructor(private readonly props: OverviewServiceProps) {
    const { userName, clock } = props;
    this.people = userName ? new UserNames(userName, () => clock.now()) : undefined;
  }

  async overview(): Promise<Overview> {
    const { status, log } = this.props;
    const [report, pending, audit, nearestExpiry] = await Promise.all([
      status.report(),
      this.props.pending().catch((err: unknown) => {
        log.warn({ err }, 'overview: pending requests unavailable');
        return [];
      }),
      this.props.store.listAudit({ limit: AUDIT_LOOKBACK }).catch((err: unknown) => {
        log.warn({ err }, 'overview: audit log unavailable');
        return [];
      }),
      this.nearestExpiry(),
    ]);
    // A small fleet's page shows every site's graph; a fleet's shows one on demand (detail).
    const graphs: Record<string, HealthGraph | null> = {};
    if (report.sites.length <= FLEET_VIEW_SITES)
      await Promise.all(
        report.sites.map(async (s) => {
          graphs[s.name] = await this.graph(s.name, s.activeTunnel);
        }),
      );
    const alarms: FiringAlarm[] = [];
    for (const s of report.sites)
      for (const t of s.tunnels)
        for (const a of t.alarms.ok ? t.alarms.value : [])
          if (a.state === 'ALARM')
            alarms.push({ name: a.name, site: s.name, tunnel: t.name, reason: a.reason, since: a.since });
    // From the store, not this replica's copy: an alarm another replica ingested is firing here too.
    const stored = await (this.props.alarms()?.stored() ?? Promise.resolve([])).catch((err: unknown) => {
      log.warn({ err }, 'overview: stored alarms unavailable');
      return [];
    });
    for (const r of stored) {
      if (r.state === 'ALARM' && !alarms.some((a) => a.name === r.name))
        alarms.push({
          name: r.name,
          site: r.site,
          tunnel: r.tunnel ?? null,
          reason: r.reason,
          since: r.since,
        });
    }
    const failovers = failoverRuns(audit).slice(-FAILOVERS_SHOWN).reverse();
    const people =
      (await this.people?.names([...pending.map((p) => p.requester), ...failovers.map((f) => f.actor)])) ??
      {};
    return {
      generatedAt: report.generatedAt,
      status: report,
      graphs,
      alarms: alarms.sort((a, b) => b.since.localeCompare(a.since)),
      pending,
      failovers,
      nearestExpiry,
      people,
    };
  }

  /** Each site's certificate nearest to expiry (the servers' reports in the store, cached for a minute). */
  nearestExpiry(): Promise<Record<string, CertEntry | null>> {
    const now = this.props.clock.now();
    if (this.certs && now - this.certs.at < CERTS_TTL_MS) return this.certs.nearest;
    const nearest = readSiteCerts(this.props.store, this.props.sites ?? [])
      .then((sites) => Object.fromEntries(sites.map((s) => [s.site, s.entries[0] ?? null])))
      .catch((err: unknown) => {
        this.props.log.warn({ err }, 'overview: certificate reports unavailable');
        this.certs = undefined;
        return {};
      });
    this.certs = { at: now, nearest };
    return nearest;
  }

  /** One site in full with its graph (the page's detail); null for a site not in tunnels.yml. */
  async detail(
    name: string,
  ): Promise<{ site: SiteStatus; graph: HealthGraph | null; nearest: CertEntry | null } | null> {
    if (!this.props.status.hasSite(name)) return null;
    const site = (await this.props.status.report([name])).sites[0]!;
    const nearest = (await this.nearestExpiry())[site.name] ?? null;
    return { site, graph: await this.graph(site.name, site.activeTunnel), nearest };
  }

  /** A graph per site, reused for graphTtlMs (its minute periods change slowly) unless the active tunnel moved. */
  private graph(site: string, active: string | null): Promise<HealthGraph | null> {
    const now = this.props.clock.now();
    const ttl = this.props.graphTtlMs ?? 15_000;
    const key = `${site}\n${active ?? ''}`;
    const cached = this.graphs.get(key);
    if (cached && now - cached.at < ttl) return cached.graph;
    for (const k of this.graphs.keys()) if (k.startsWith(`${site}\n`)) this.graphs.delete(k);
    const graph = this.props.status.healthGraph(site, active);
    this.graphs.set(key, { at: now, graph });
    return graph;
  }
}
