import type { FailoverSettings } from '../config/topology-schema.js';
import { type HostReach, silentAfterMs } from './peer-view.js';

/**
 * One tunnel's fitness as the failover policy judges it: whether it is down (and why), whether it may take
 * traffic, from its monitor's heartbeat, its ECS task and its peer's view of its host.
 */

/** What the monitor last said about a tunnel (from its heartbeat). */
export type MonitorHealth = 'up' | 'down' | 'unknown';

/**
 * ECS view of a tunnel's server: running; deploying (a planned deploy is rolling out);
 * replacing (no task running but a replacement is starting); stopped (none running, none coming);
 * unknown (could not be read).
 */
export type TaskCondition = 'running' | 'deploying' | 'replacing' | 'stopped' | 'unknown';

export interface TunnelFacts {
  name: string;
  health: MonitorHealth;
  riseCount: number;
  fallCount: number;
  /** Age of the monitor's last heartbeat in ms; null when there is none. */
  heartbeatAgeMs: number | null;
  task: TaskCondition;
  /** The tunnel's server host as its peer's monitor probes it; absent = 'unknown' (no peer view). */
  host?: HostReach;
  /** A certificate that stops this tunnel (its monitor's heartbeat says so): never a failover target. */
  certFault?: string;
  /** Its last heartbeat is the monitor's goodbye (its server stopping): down, however old, until a newer one. */
  goodbye?: boolean;
}

/** The settings the judgments read. */
type FitnessSettings = Pick<
  FailoverSettings,
  'rise' | 'fall' | 'heartbeatStaleSeconds' | 'probeIntervalSeconds'
>;

/** Is the monitor's heartbeat missing or older than heartbeatStaleSeconds? */
const isStale = (t: TunnelFacts, staleSeconds: number): boolean =>
  t.heartbeatAgeMs === null || t.heartbeatAgeMs > staleSeconds * 1000;

/** Has the monitor missed `fall` rounds of heartbeats (it writes one every round)? */
export const isSilent = (t: TunnelFacts, s: FitnessSettings): boolean =>
  t.heartbeatAgeMs !== null && t.heartbeatAgeMs > silentAfterMs(s);

/**
 * Why the tunnel is down, or null when nothing says so. A planned deploy masks a silent monitor and a stopped task.
 * A silent monitor whose host still answers its peer is the monitor alone: not a tunnel failure.
 */
export function downBecause(t: TunnelFacts, s: FitnessSettings): string | null {
  const stale = isStale(t, s.heartbeatStaleSeconds);
  const cert = t.certFault ? `${t.certFault}; ` : '';
  // An explicit goodbye read late (a loaded decider, the backstop's minute) is still the server stopping, not a
  // silent monitor: its host may answer for a long while after.
  if (t.goodbye && t.health === 'down')
    return `the monitor reports ${t.name} down (${cert}its server is stopping: goodbye ${((t.heartbeatAgeMs ?? 0) / 1000).toFixed(1)} s ago)`;
  if (!stale && t.health === 'down')
    return `the monitor reports ${t.name} down (${cert}${t.fallCount} failed rounds, fall ${s.fall})`;
  // Two independent channels agree: no heartbeat for `fall` rounds and no answer to `fall` direct probes.
  if (isSilent(t, s) && t.host === 'unreachable') {
    return `the ${t.name} host does not answer its peer (${s.fall} probes) and its monitor has been silent for ${(t.heartbeatAgeMs! / 1000).toFixed(1)} s`;
  }
  if (t.host === 'reachable') return t.task === 'stopped' ? `the ECS task of ${t.name} stopped` : null;
  const planned = t.task === 'deploying' || t.task === 'replacing';
  if (planned) return null;
  if (t.task === 'stopped') return `the ECS task of ${t.name} stopped and no replacement is starting`;
  // A monitor that never reported (just deployed, or everything starting at once) is no evidence of an outage;
  // one that reported and then went quiet is.
  if (stale && t.heartbeatAgeMs !== null) {
    return `the ${t.name} monitor's heartbeat is ${Math.round(t.heartbeatAgeMs / 1000)} s old (stale after ${s.heartbeatStaleSeconds} s)`;
  }
  return null;
}

/** Why the tunnel may take traffic, or why not. */
export function standbyFit(t: TunnelFacts, s: FitnessSettings): { fit: boolean; why: string } {
  if (isStale(t, s.heartbeatStaleSeconds)) return { fit: false, why: `${t.name} has no fresh heartbeat` };
  // Even while it still passes traffic: OpenVPN refuses that certificate at the next handshake or renegotiation.
  if (t.certFault) return { fit: false, why: `${t.name} is unfit: ${t.certFault}` };
  if (t.health !== 'up') return { fit: false, why: `${t.name} is ${t.health} (needs rise ${s.rise})` };
  if (t.task === 'stopped') return { fit: false, why: `the ECS task of ${t.name} is stopped` };
  return { fit: true, why: `${t.name} is up (${t.riseCount} good rounds in a row) with a fresh heartbeat` };
}

/** Fit to take traffic now: a fresh heartbeat that says up, and nothing saying it is down. */
export const takesTraffic = (t: TunnelFacts, s: FitnessSettings): boolean =>
  standbyFit(t, s).fit && downBecause(t, s) === null;
