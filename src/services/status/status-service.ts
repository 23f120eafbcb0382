import type { Site, Topology } from '../../config/topology-schema.js';
import { type AuditEntry, isCompletedFailover } from '../../domain/audit.js';
import {
  asHeartbeat,
  classifyHealth,
  DEFAULT_THRESHOLDS,
  type MonitorHeartbeat,
} from '../../domain/health.js';
import { GRAPH_MINUTES, type HealthGraph, healthGraphOf } from '../../domain/health-graph.js';
import { HEARTBEAT_NS } from '../../domain/heartbeat.js';
import { type Outcome, reasonOf, unknown } from '../../domain/outcome.js';
import {
  deriveActiveTunnel,
  type SiteStatus,
  type StatusReport,
  type TunnelStatus,
} from '../../domain/status.js';
import { findSite, requireSite, tunnelKey } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Account } from '../../ports/account.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { withTimeout } from '../../with-timeout.js';

export interface StatusServiceProps {
  topology: Topology;
  account: Account;
  store: Store;
  clock: Clock;
  log: Logger;
  /** How long one port call may take before its part reads as unknown (default 10 s). */
  callTimeoutMs?: number;
}

/** Probe stats cover the last 5 minutes. */
const WINDOW_MINUTES = 5;
/** A port that hangs must not hang /vpn status: its part becomes unknown. */
const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Enough history to find the last failover without reading the whole audit log. */
const AUDIT_LOOKBACK = 500;
/**
 * Up to this many sites, each site's last failover comes from its own audit (one read per site); past it, from
 * the fleet's newest FLEET_AUDIT_LOOKBACK entries in one read (a site whose last failover is older shows none
 * there; `/vpn status <site>` finds it).
 */
const PER_SITE_AUDIT_SITES = 10;
const FLEET_AUDIT_LOOKBACK = 2000;

type Batch<T> = Map<string, Outcome<T>>;

/**
 * `/vpn status` and GET /api/status: one call per account port for all requested sites (the adapters
 * batch per region), all at once. A failing call makes only its part "unknown, because ...".
 */
export class StatusService {
  constructor(private readonly props: StatusServiceProps) {}

  private get timeoutMs(): number {
    return this.props.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  async report(siteNames?: string[]): Promise<StatusReport> {
    const sites = this.selectSites(siteNames);
    const { account } = this.props;
    const [routes, tasks, instances, probes, alarms, heartbeats, failovers] = await Promise.all([
      this.batch('route tables', () => account.routeTables.observe(sites)),
      this.batch('ECS tasks', () => account.tasks.observe(sites)),
      this.batch('instances', () => account.instances.observe(sites)),
      this.batch('probe metrics', () => account.metrics.probeStats(sites, WINDOW_MINUTES)),
      this.batch('alarms', () => account.metrics.alarms(sites)),
      this.heartbeats(sites),
      this.lastFailovers(sites),
    ]);
    const nowMs = this.props.clock.now();
    return {
      generatedAt: new Date(nowMs).toISOString(),
      sites: sites.map((site): SiteStatus => {
        const siteRoutes = pick(routes, site.name);
        const verdict = siteRoutes.ok ? deriveActiveTunnel(siteRoutes.value) : null;
        const activeTunnel = verdict?.activeTunnel ?? null;
        const tunnels = site.tunnels.map((t): TunnelStatus => {
          const key = tunnelKey(site.name, t.name);
          const parts = {
            probe: pick(probes, key),
            task: pick(tasks, key),
            instance: pick(instances, key),
            alarms: pick(alarms, key),
          };
          const health = classifyHealth(
            { ...parts, heartbeat: heartbeats.get(key) ?? null, nowMs },
            { ...DEFAULT_THRESHOLDS, heartbeatStaleMs: site.failover.heartbeatStaleSeconds * 1000 },
          );
          return {
            name: t.name,
            ...(t.availabilityZone ? { availabilityZone: t.availabilityZone } : {}),
            active: t.name === activeTunnel,
            health: health.health,
            healthReason: health.reason,
            ...parts,
          };
        });
        return {
          name: site.name,
          region: site.region,
          activeTunnel,
          routes: siteRoutes,
          disagreements: verdict?.disagreements ?? [],
          tunnels,
          lastFailover: failovers.get(site.name) ?? null,
        };
      }),
    };
  }

  /**
   * The site's health graph (probe loss and latency per tunnel over the last hour, failovers marked), or
   * null when the probe series cannot be read in time. Any renderer draws it (PNG for Slack, SVG for the page).
   */
  async healthGraph(site: string | Site, activeTunnel: string | null = null): Promise<HealthGraph | null> {
    const found = typeof site === 'string' ? findSite(this.props.topology, site) : site;
    if (!found) return null;
    try {
      const [series, audit] = await Promise.all([
        withTimeout(this.props.account.metrics.probeSeries(found, GRAPH_MINUTES), this.timeoutMs),
        this.props.store.listAudit({ site: found.name, limit: AUDIT_LOOKBACK }).catch((err: unknown) => {
          this.props.log.warn({ err, site: found.name }, 'health graph: audit log unavailable');
          return [];
        }),
      ]);
      return healthGraphOf({
        site: found.name,
        activeTunnel,
        tunnels: found.tunnels.map((t) => t.name),
        series,
        audit,
        endMs: this.props.clock.now(),
      });
    } catch (err) {
      this.props.log.warn({ err, site: found.name }, 'health graph unavailable');
      return null;
    }
  }

  hasSite(name: string): boolean {
    return findSite(this.props.topology, name) !== undefined;
  }

  private selectSites(names: string[] | undefined): Site[] {
    if (!names || names.length === 0) return this.props.topology.sites;
    return [...new Set(names)].map((n) => requireSite(this.props.topology, n));
  }

  /** Runs one batched port call; if it fails, every key reads as unknown with the reason. */
  private async batch<T>(what: string, call: () => Promise<Batch<T>>): Promise<Batch<T> | string> {
    try {
      return await withTimeout(call(), this.timeoutMs);
    } catch (err) {
      const reason = reasonOf(err);
      this.props.log.warn({ err, part: what }, 'status: a port call failed');
      return `${what}: ${reason}`;
    }
  }

  /** The asked sites' heartbeats, in one read for all of them (kept per site: each server writes only its own). */
  private async heartbeats(sites: readonly Site[]): Promise<Map<string, MonitorHeartbeat>> {
    const beats = new Map<string, MonitorHeartbeat>();
    const keys = sites.flatMap((s) => s.tunnels.map((t) => tunnelKey(s.name, t.name)));
    try {
      for (const [key, rec] of await this.props.store.getMany<unknown>(HEARTBEAT_NS, keys)) {
        const beat = asHeartbeat(rec.value);
        if (beat) beats.set(key, beat);
      }
    } catch (err) {
      this.props.log.warn({ err }, 'status: heartbeats unavailable');
    }
    return beats;
  }

  /** Each site's last completed failover: per site for a few, from the fleet's recent audit for many. */
  private async lastFailovers(sites: readonly Site[]): Promise<Map<string, AuditEntry>> {
    const last = new Map<string, AuditEntry>();
    const take = (entries: readonly AuditEntry[]) => {
      for (const e of entries) if (isCompletedFailover(e)) last.set(e.site, e); // oldest first: the newest wins
    };
    const read = (site?: string) =>
      this.props.store
        .listAudit(site ? { site, limit: AUDIT_LOOKBACK } : { limit: FLEET_AUDIT_LOOKBACK })
        .then(take)
        .catch((err: unknown) => this.props.log.warn({ err, site }, 'status: audit log unavailable'));
    if (sites.length <= PER_SITE_AUDIT_SITES) await Promise.all(sites.map((s) => read(s.name)));
    else await read();
    return last;
  }
}

function pick<T>(batch: Batch<T> | string, key: string): Outcome<T> {
  if (typeof batch === 'string') return unknown(batch);
  return batch.get(key) ?? unknown(`no data for ${key}`);
}
