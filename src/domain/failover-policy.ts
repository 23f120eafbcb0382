import type { FailoverSettings } from '../config/topology-schema.js';
import { downBecause, isSilent, standbyFit, type TunnelFacts, takesTraffic } from './tunnel-fitness.js';

/**
 * The automatic failover decision: pure, so every combination is tested as a table.
 * Fail over only when the active tunnel is down AND the standby is healthy AND no flap guard
 * (cooldown, hourly cap) holds; a planned deploy is not a failure by itself; both down changes
 * nothing and alerts; nothing here ever fails back (a recovered tunnel just stays standby).
 */

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

type Result = (action: DecisionAction, code: DecisionCode, reason: string, to?: string) => Decision;

export function decide(input: PolicyInput): Decision {
  const evidence: Record<string, unknown> = {
    site: input.site,
    active: input.active,
    mode: input.settings.mode,
    tunnels: input.tunnels,
    sinceLastFailoverMs: input.sinceLastFailoverMs,
    automaticLastHour: input.automaticLastHour,
  };
  const result: Result = (action, code, reason, to) =>
    to === undefined ? { action, code, reason, evidence } : { action, code, to, reason, evidence };
  if (input.active === null) return withoutActive(input, result);
  const active = input.tunnels.find((t) => t.name === input.active);
  const standby = input.tunnels.find((t) => t.name !== input.active);
  if (!active || !standby) {
    return result(
      'alert',
      'unknown-active',
      `routes point at ${input.active}, which is not a tunnel of ${input.site}`,
    );
  }
  const down = downBecause(active, input.settings);
  if (down === null) return activeNotDown(input, active, standby, result);
  evidence.activeDown = down;
  const fit = standbyFit(standby, input.settings);
  evidence.standby = fit.why;
  if (!fit.fit) {
    return result(
      'alert',
      'both-down',
      `BOTH tunnels of ${input.site} are down: ${down}; ${fit.why}. Changed nothing.`,
    );
  }
  return onto(input, standby.name, `${down}; ${fit.why}`, down, result);
}

/**
 * No single tunnel carries every route: a run is moving them (wait), a run left them split (finish it), some
 * point nowhere (repair), or they cannot be read (wait) or disagree (a human decides).
 */
function withoutActive(input: PolicyInput, result: Result): Decision {
  if (input.failoverInProgress) {
    return result(
      'none',
      'run-in-progress',
      `did nothing: failover run ${input.failoverInProgress.owner} holds the lease of ${input.site} and is moving its routes`,
    );
  }
  if (input.interrupted) return finishInterrupted(input, input.interrupted, result);
  if (input.stranded && input.stranded.count > 0) return repair(input, input.stranded, result);
  const problem = input.routesProblem ?? 'no route points at a tunnel';
  return input.routesUnreadable
    ? result('none', 'routes-unreadable', `did nothing: ${problem}`)
    : result(
        'alert',
        'routes-disagree',
        `the routes of ${input.site} do not agree on one tunnel (${problem}); a human must decide`,
      );
}

/** The active tunnel is not down: nothing to do, unless its monitor alone went silent (an alert). */
function activeNotDown(
  input: PolicyInput,
  active: TunnelFacts,
  standby: TunnelFacts,
  result: Result,
): Decision {
  if (isSilent(active, input.settings) && active.host === 'reachable') {
    return result(
      'alert',
      'monitor-silent',
      `the ${active.name} monitor has been silent for ${Math.round(active.heartbeatAgeMs! / 1000)} s but its host answers ${standby.name}: the tunnel is taken to carry traffic, no failover. Restart or check the ${active.name} monitor`,
    );
  }
  return active.task === 'deploying' || active.task === 'replacing'
    ? result(
        'none',
        'planned-deploy',
        `did nothing: ${active.name} is being redeployed (a replacement task is starting), which is not a failure by itself`,
      )
    : result('none', 'active-ok', `did nothing: active tunnel ${active.name} is not down`);
}

/**
 * The active is down and `to` is fit: the flap guards (cooldown, hourly cap) may hold it for a human; else the
 * mode decides: fail over (auto), ask for approval (propose), or say how (manual).
 */
function onto(input: PolicyInput, to: string, why: string, down: string, result: Result): Decision {
  const s = input.settings;
  if (input.sinceLastFailoverMs !== null && input.sinceLastFailoverMs < s.cooldownSeconds * 1000) {
    const ago = Math.round(input.sinceLastFailoverMs / 1000);
    return result(
      'alert',
      'cooldown',
      `${down}, but the last failover was ${ago} s ago (cooldown ${s.cooldownSeconds} s); a human must decide`,
      to,
    );
  }
  if (input.automaticLastHour >= s.maxAutomaticPerHour) {
    return result(
      'alert',
      'hourly-cap',
      `${down}, but ${input.automaticLastHour} automatic failovers happened in the last hour (max ${s.maxAutomaticPerHour}); a human must decide`,
      to,
    );
  }
  if (s.mode === 'auto') return result('failover', 'failover', why, to);
  if (s.mode === 'propose') return result('propose', 'propose', why, to);
  return result(
    'alert',
    'manual',
    `${why}. Mode is manual: fail over with /vpn failover ${input.site} --to ${to}`,
    to,
  );
}

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
