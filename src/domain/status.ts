import type { AuditEntry } from './audit.js';
import type { Health } from './health.js';
import type {
  AlarmSummary,
  InstanceState,
  ProbeStats,
  RouteObservation,
  TunnelTaskState,
} from './observations.js';
import type { Outcome } from './outcome.js';

export interface TunnelStatus {
  name: string;
  /** The AZ of the tunnel's server when tunnels.yml names it (the fleet views count actives per AZ). */
  availabilityZone?: string;
  /** True when the route tables send traffic to this tunnel. */
  active: boolean;
  health: Health;
  healthReason: string;
  probe: Outcome<ProbeStats>;
  task: Outcome<TunnelTaskState>;
  instance: Outcome<InstanceState>;
  alarms: Outcome<AlarmSummary[]>;
}

export type RouteProblem = 'other-tunnel' | 'blackhole' | 'missing' | 'unmanaged';

/** A route that does not send its CIDR to the active tunnel. */
export interface RouteDisagreement {
  routeTableId: string;
  cidr: string;
  problem: RouteProblem;
  tunnel: string | null;
  target: string | null;
}

export interface SiteStatus {
  name: string;
  region: string;
  /** The tunnel most routes point at (all, when they agree); null when none or split evenly. */
  activeTunnel: string | null;
  routes: Outcome<RouteObservation[]>;
  disagreements: RouteDisagreement[];
  tunnels: TunnelStatus[];
  lastFailover: AuditEntry | null;
}

export interface StatusReport {
  generatedAt: string;
  sites: SiteStatus[];
}

export interface ActiveTunnelVerdict {
  activeTunnel: string | null;
  /** Every route points at the active tunnel and none is a blackhole. */
  agreed: boolean;
  disagreements: RouteDisagreement[];
}

/**
 * The route tables are the source of truth: the active tunnel is the one most live routes point at.
 * A tie or no live route gives null. Every route not carrying traffic to it is listed.
 */
export function deriveActiveTunnel(observations: readonly RouteObservation[]): ActiveTunnelVerdict {
  const counts = new Map<string, number>();
  for (const o of observations) {
    if (isLive(o)) counts.set(o.tunnel!, (counts.get(o.tunnel!) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  const activeTunnel = first && (!second || second[1] < first[1]) ? first[0] : null;
  const disagreements: RouteDisagreement[] = [];
  for (const o of observations) {
    if (activeTunnel !== null && isLive(o) && o.tunnel === activeTunnel) continue;
    disagreements.push({
      routeTableId: o.routeTableId,
      cidr: o.cidr,
      problem: problemOf(o),
      tunnel: o.tunnel,
      target: o.target,
    });
  }
  return { activeTunnel, agreed: activeTunnel !== null && disagreements.length === 0, disagreements };
}

const isLive = (o: RouteObservation): boolean => !o.missing && !o.blackhole && o.tunnel !== null;

function problemOf(o: RouteObservation): RouteProblem {
  if (o.missing) return 'missing';
  if (o.blackhole) return 'blackhole';
  if (o.tunnel === null) return 'unmanaged';
  return 'other-tunnel';
}

/** One line per disagreement, for Slack and the CLI. */
export function describeDisagreement(d: RouteDisagreement): string {
  const where = `${d.routeTableId} ${d.cidr}`;
  switch (d.problem) {
    case 'missing':
      return `${where}: no route`;
    case 'blackhole':
      return `${where}: blackhole (target ${d.target ?? 'gone'}${d.tunnel ? `, was ${d.tunnel}` : ''})`;
    case 'unmanaged':
      return `${where}: points at ${d.target ?? 'an unknown target'}, not a tunnel`;
    case 'other-tunnel':
      return `${where}: points at ${d.tunnel}`;
  }
}

/** JSON for dashboards and scripts (GET /api/status). Each part is its value, or null with the reason in `unknown`. */
export interface StatusJson {
  generatedAt: string;
  sites: Array<{
    name: string;
    region: string;
    activeTunnel: string | null;
    /** null when the route tables could not be read. */
    routesAgree: boolean | null;
    routes: RouteObservation[] | null;
    disagreements: RouteDisagreement[];
    lastFailover: AuditEntry | null;
    unknown: Record<string, string>;
    tunnels: Array<{
      name: string;
      active: boolean;
      health: Health;
      healthReason: string;
      probe: ProbeStats | null;
      task: TunnelTaskState | null;
      instance: InstanceState | null;
      alarms: AlarmSummary[] | null;
      unknown: Record<string, string>;
    }>;
  }>;
}

export function toStatusJson(report: StatusReport): StatusJson {
  return {
    generatedAt: report.generatedAt,
    sites: report.sites.map((s) => {
      const unknownParts: Record<string, string> = {};
      return {
        name: s.name,
        region: s.region,
        activeTunnel: s.activeTunnel,
        routesAgree: s.routes.ok ? s.activeTunnel !== null && s.disagreements.length === 0 : null,
        routes: valueOr(s.routes, 'routes', unknownParts),
        disagreements: s.disagreements,
        lastFailover: s.lastFailover,
        unknown: unknownParts,
        tunnels: s.tunnels.map((t) => {
          const u: Record<string, string> = {};
          return {
            name: t.name,
            active: t.active,
            health: t.health,
            healthReason: t.healthReason,
            probe: valueOr(t.probe, 'probe', u),
            task: valueOr(t.task, 'task', u),
            instance: valueOr(t.instance, 'instance', u),
            alarms: valueOr(t.alarms, 'alarms', u),
            unknown: u,
          };
        }),
      };
    }),
  };
}

function valueOr<T>(o: Outcome<T>, part: string, unknownParts: Record<string, string>): T | null {
  if (o.ok) return o.value;
  unknownParts[part] = o.reason;
  return null;
}
