/** What the account adapters observe, shared by the domain (health, status, route plans) and the ports. */

export interface InstanceState {
  instanceId: string;
  /** EC2 state name: pending | running | stopping | stopped | shutting-down | terminated. */
  state: string;
}

/** Probe figures over a window (the monitor publishes TunnelUp, ProbeLossPct, ProbeLatencyMs). */
export interface ProbeStats {
  /** Mean loss in percent over the window; null when there were no samples. */
  lossPct: number | null;
  /** Mean round-trip latency in ms; null when there were no samples. */
  latencyMs: number | null;
  /** Loss of the most recent minute, to tell "down now" from "was down earlier". */
  recentLossPct: number | null;
  samples: number;
}

export interface AlarmSummary {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  since: string;
}

/** One route of a site: which tunnel (if any) the route table sends an on-prem CIDR to. */
export interface RouteObservation {
  routeTableId: string;
  cidr: string;
  /** Tunnel name the route points at, or null when it is missing or points elsewhere. */
  tunnel: string | null;
  /** Raw target (instance id, ENI id or next hop) for the operator. */
  target: string | null;
  /** AWS reports "blackhole" when the target instance/ENI is gone. */
  blackhole: boolean;
  /** True when the table has no route at all for the CIDR. */
  missing: boolean;
}

export interface TunnelTaskState {
  desired: number;
  running: number;
  pending: number;
  /** More than one deployment, or a PRIMARY deployment still rolling out: a planned deploy is in progress. */
  deploying: boolean;
  lastStopReason?: string;
  lastStoppedAt?: string;
  /** How the state was read, when the reader should know (e.g. Container Insights unavailable, ECS asked instead). */
  note?: string;
}

/** One period of a tunnel's probe series (the health graph's data points). */
export interface ProbePoint {
  /** Start of the period, epoch ms. */
  at: number;
  lossPct: number | null;
  latencyMs: number | null;
}
