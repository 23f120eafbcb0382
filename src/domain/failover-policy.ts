// length: not split yet (issue 19 follow-up: one module per part)
import type { FailoverSettings } from '../config/topology-schema.js';
import { type HostReach, silentAfterMs } from './peer-view.js';

/**
 * The automatic failover decision: pure, so every combination is tested as a table.
 * Fail over only when the active tunnel is down AND the standby is healthy AND no flap guard
 * (cooldown, hourly cap) holds; a planned deploy is not a failure by itself; both down changes
 * nothing and alerts; nothing here ever fails back (a recovered tunnel just stays standby).
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
}

export interface PolicyInput {
  site: string;
  /** The tunnel every route points at; null when the route tables disagree or point nowhere. */
  active: string | null;
  /** Set when the route tables could not be read or disagree. */
  routesProblem?: string;
  /** True when the route tables could not be read at all (rather than read and found to disagree). */
  routesUnreadable?: boolean;
  /**
   * Routes that carry nothing (blackholed: their instance is gone; missing; pointing at no tunnel), when every
   * other route agrees on one tunnel (`live`) or there is none (null). Such routes are an outage already.
   */
  stranded?: { live: string | null; count: number };
  /**
   * A failover run that started within the last half hour and never finished (its process died, or it lost its
   * lease, or its rollback could not converge), while no run holds the site's lease now. `to` is where that run
   * was taking every route.
   */
  interrupted?: { runId: string; actor: string; to: string };
  /** A failover run holds the site's lease now (routes may be mid-move): set only when the routes disagree. */
  failoverInProgress?: { owner: string; expiresAt: number };
  tunnels: readonly [TunnelFacts, TunnelFacts];
  settings: Pick<
    FailoverSettings,
    | 'mode'
    | 'rise'
    | 'fall'
    | 'cooldownSeconds'
    | 'maxAutomaticPerHour'
    | 'heartbeatStaleSeconds'
    | 'probeIntervalSeconds'
  >;
  /** Ms since the last failover of this site (any trigger); null when none is recorded. */
  sinceLastFailoverMs: number | null;
  /** Automatic failovers of this site in the last hour. */
  automaticLastHour: number;
}

export type DecisionAction = 'failover' | 'propose' | 'alert' | 'none';

/** Stable name of the rule that decided (alerts are deduplicated on it). */
export type DecisionCode =
  | 'routes-unreadable'
  | 'routes-disagree'
  | 'repair-routes'
  | 'finish-interrupted'
  | 'run-in-progress'
  | 'planned-termination'
  | 'unknown-active'
  | 'active-ok'
  | 'monitor-silent'
  | 'planned-deploy'
  | 'both-down'
  | 'cooldown'
  | 'hourly-cap'
  | 'failover'
  | 'propose'
  | 'manual';

export interface Decision {
  action: DecisionAction;
  code: DecisionCode;
  /** Target tunnel for failover / propose. */
  to?: string;
  reason: string;
  evidence: Record<string, unknown>;
}

/** Is the monitor's heartbeat missing or older than heartbeatStaleSeconds? */
const isStale = (t: TunnelFacts, staleSeconds: number): boolean =>
  t.heartbeatAgeMs === null || t.heartbeatAgeMs > staleSeconds * 1000;

/** Has the monitor missed `fall` rounds of heartbeats (it writes one every round)? */
const isSilent = (t: TunnelFacts, s: PolicyInput['settings']): boolean =>
  t.heartbeatAgeMs !== null && t.heartbeatAgeMs > silentAfterMs(s);

/**
 * Why the tunnel is down, or null when nothing says so. A planned deploy masks a silent monitor and a stopped task.
 * A silent monitor whose host still answers its peer is the monitor alone: not a tunnel failure.
 */
function downBecause(t: TunnelFacts, s: PolicyInput['settings']): string | null {
  const stale = isStale(t, s.heartbeatStaleSeconds);
  if (!stale && t.health === 'down')
    return `the monitor reports ${t.name} down (${t.certFault ? `${t.certFault}; ` : ''}${t.fallCount} failed rounds, fall ${s.fall})`;
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
export function standbyFit(t: TunnelFacts, s: PolicyInput['settings']): { fit: boolean; why: string } {
  if (isStale(t, s.heartbeatStaleSeconds)) return { fit: false, why: `${t.name} has no fresh heartbeat` };
  // Even while it still passes traffic: OpenVPN refuses that certificate at the next handshake or renegotiation.
  if (t.certFault) return { fit: false, why: `${t.name} is unfit: ${t.certFault}` };
  if (t.health !== 'up') return { fit: false, why: `${t.name} is ${t.health} (needs rise ${s.rise})` };
  if (t.task === 'stopped') return { fit: false, why: `the ECS task of ${t.name} is stopped` };
  return { fit: true, why: `${t.name} is up (${t.riseCount} good rounds in a row) with a fresh heartbeat` };
}

// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function decide(input: PolicyInput): Decision {
  const s = input.settings;
  const evidence: Record<string, unknown> = {
    site: input.site,
    active: input.active,
    mode: s.mode,
    tunnels: input.tunnels,
    sinceLastFailoverMs: input.sinceLastFailoverMs,
    automaticLastHour: input.automaticLastHour,
  };
  const result = (action: DecisionAction, code: DecisionCode, reason: string, to?: string): Decision =>
    to === undefined ? { action, code, reason, evidence } : { action, code, to, reason, evidence };

  if (input.active === null && input.failoverInProgress) {
    return result(
      'none',
      'run-in-progress',
      `did nothing: failover run ${input.failoverInProgress.owner} holds the lease of ${input.site} and is moving its routes`,
    );
  }
  if (input.active === null && input.interrupted) return finishInterrupted(input, input.interrupted, result);
  if (input.active === null && input.stranded && input.stranded.count > 0)
    return repair(input, input.stranded, result);
  if (input.active === null) {
    const problem = input.routesProblem ?? 'no route points at a tunnel';
    return input.routesUnreadable
      ? result('none', 'routes-unreadable', `did nothing: ${problem}`)
      : result(
          'alert',
          'routes-disagree',
          `the routes of ${input.site} do not agree on one tunnel (${problem}); a human must decide`,
        );
  }
  const active = input.tunnels.find((t) => t.name === input.active);
  const standby = input.tunnels.find((t) => t.name !== input.active);
  if (!active || !standby) {
    return result(
      'alert',
      'unknown-active',
      `routes point at ${input.active}, which is not a tunnel of ${input.site}`,
    );
  }

  const down = downBecause(active, s);
  if (down === null && isSilent(active, s) && active.host === 'reachable') {
    return result(
      'alert',
      'monitor-silent',
      `the ${active.name} monitor has been silent for ${Math.round(active.heartbeatAgeMs! / 1000)} s but its host answers ${standby.name}: the tunnel is taken to carry traffic, no failover. Restart or check the ${active.name} monitor`,
    );
  }
  if (down === null) {
    return active.task === 'deploying' || active.task === 'replacing'
      ? result(
          'none',
          'planned-deploy',
          `did nothing: ${active.name} is being redeployed (a replacement task is starting), which is not a failure by itself`,
        )
      : result('none', 'active-ok', `did nothing: active tunnel ${active.name} is not down`);
  }
  evidence.activeDown = down;
  const fit = standbyFit(standby, s);
  evidence.standby = fit.why;
  if (!fit.fit) {
    return result(
      'alert',
      'both-down',
      `BOTH tunnels of ${input.site} are down: ${down}; ${fit.why}. Changed nothing.`,
    );
  }
  if (input.sinceLastFailoverMs !== null && input.sinceLastFailoverMs < s.cooldownSeconds * 1000) {
    const ago = Math.round(input.sinceLastFailoverMs / 1000);
    return result(
      'alert',
      'cooldown',
      `${down}, but the last failover was ${ago} s ago (cooldown ${s.cooldownSeconds} s); a human must decide`,
      standby.name,
    );
  }
  if (input.automaticLastHour >= s.maxAutomaticPerHour) {
    return result(
      'alert',
      'hourly-cap',
      `${down}, but ${input.automaticLastHour} automatic failovers happened in the last hour (max ${s.maxAutomaticPerHour}); a human must decide`,
      standby.name,
    );
  }
  const why = `${down}; ${fit.why}`;
  if (s.mode === 'auto') return result('failover', 'failover', why, standby.name);
  if (s.mode === 'propose') return result('propose', 'propose', why, standby.name);
  return result(
    'alert',
    'manual',
    `${why}. Mode is manual: fail over with /vpn failover ${input.site} --to ${standby.name}`,
    standby.name,
  );
}

type Result = (action: DecisionAction, code: DecisionCode, reason: string, to?: string) => Decision;

/** Fit to take traffic now: a fresh heartbeat that says up, and nothing saying it is down. */
const takesTraffic = (t: TunnelFacts, s: PolicyInput['settings']): boolean =>
  standbyFit(t, s).fit && downBecause(t, s) === null;

/**
 * Routes left split by a run that never finished: that run was already decided (approved, or automatic), so
 * finishing it is no new risk decision, in any mode. Onto its own target when that tunnel is fit; else onto the
 * other tunnel when it is (a repair: half the routes may point at a dead tunnel), except in manual mode.
 */
function finishInterrupted(
  input: PolicyInput,
  run: NonNullable<PolicyInput['interrupted']>,
  result: Result,
): Decision {
  const s = input.settings;
  const whose = `the interrupted failover run ${run.runId} of ${run.actor}`;
  const what = `the routes of ${input.site} are split (${input.routesProblem ?? 'between two tunnels'})`;
  const own = input.tunnels.find((t) => t.name === run.to);
  if (own && takesTraffic(own, s))
    return result('failover', 'finish-interrupted', `${what}: finishing ${whose} onto ${run.to}`, run.to);
  const other = input.tunnels.find((t) => t.name !== run.to && takesTraffic(t, s));
  const why = input.tunnels.map((t) => standbyFit(t, s).why).join('; ');
  if (!other)
    return result('alert', 'both-down', `${what} by ${whose}, and no tunnel is fit to take them: ${why}`);
  const reason = `${what} by ${whose}, whose target ${run.to} is not fit (${why})`;
  if (s.mode === 'manual')
    return result(
      'alert',
      'manual',
      `${reason}. Mode is manual: converge with /vpn failover ${input.site} --to ${other.name}`,
      other.name,
    );
  return result('failover', 'finish-interrupted', `${reason}: converging onto ${other.name}`, other.name);
}

/**
 * Routes that point nowhere carry no traffic, so moving them cannot hurt: they go to the tunnel the other routes
 * use when it is fit, else to a fit tunnel (the primary first). Cooldown and the hourly cap guard against
 * flapping between two working tunnels; they do not hold back repairing routes that are already dead. Nor is
 * it a risk decision: `propose` repairs at once like `auto`; only `manual` leaves it to a human.
 */
function repair(
  input: PolicyInput,
  stranded: { live: string | null; count: number },
  result: Result,
): Decision {
  const s = input.settings;
  const fit = input.tunnels.filter((t) => takesTraffic(t, s));
  const live = fit.find((t) => t.name === stranded.live);
  // No route left live: prefer a host its peer answers. Routes that vanish together usually mean their tunnel's
  // host just went (its interface gone), and its heartbeat stays fresh for a second or two after.
  const target = live ?? fit.find((t) => t.host === 'reachable') ?? fit[0];
  const what = `${stranded.count} route(s) of ${input.site} point at no tunnel (${input.routesProblem ?? 'blackhole or missing'})`;
  if (!target) {
    const why = input.tunnels.map((t) => standbyFit(t, s).why).join('; ');
    return result(
      'alert',
      'both-down',
      `${what}, and no tunnel is fit to take them: ${why}. Changed nothing.`,
    );
  }
  const why = `${what}; ${standbyFit(target, s).why}`;
  if (s.mode !== 'manual')
    return result('failover', 'repair-routes', `${why}: moving them to ${target.name}`, target.name);
  return result(
    'alert',
    'manual',
    `${why}. Mode is manual: repair with /vpn failover ${input.site} --to ${target.name}`,
    target.name,
  );
}
