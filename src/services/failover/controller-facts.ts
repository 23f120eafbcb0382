import type { Site } from '../../config/topology-schema.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { PolicyInput } from '../../domain/failover-policy.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../domain/heartbeat.js';
import type { RouteObservation, TunnelTaskState } from '../../domain/observations.js';
import type { Outcome } from '../../domain/outcome.js';
import { hostReach, silentAfterMs } from '../../domain/peer-view.js';
import { mostCommonTunnel, routeSlots } from '../../domain/route-plan.js';
import { tunnelKey } from '../../domain/topology.js';
import type { MonitorHealth, TaskCondition, TunnelFacts } from '../../domain/tunnel-fitness.js';
import type { Logger } from '../../log.js';
import type { Account } from '../../ports/account.js';
import type { Clock } from '../../ports/clock.js';
import type { ProcessLiveness } from '../../ports/liveness.js';
import type { Store } from '../../ports/store.js';
import { SiteLock } from '../execution/site-lock.js';
import { FAILOVER_RUNS_NS, type FailoverRun, mergeRuns } from './failover-runs.js';
import { RouteEpochs, type SeenRoutes } from './route-epoch.js';

const HOUR_MS = 3_600_000;
/** An unfinished run older than this is history, not something to finish (a human may have split routes since). */
const INTERRUPTED_WINDOW_MS = 30 * 60_000;
const TERMINAL = new Set(['succeeded', 'failed', 'refused']);

/**
 * The newest failover run, when it never finished: no terminal audit entry (its process died mid-way), or a
 * "failed" one marked unfinished (it lost its lease, or its rollback could not converge). The executor puts
 * its run id on every entry.
 */
export function interruptedRun(
  entries: readonly AuditEntry[],
  now: number,
): { runId: string; actor: string; to: string } | null {
  const runs = entries.filter((e) => e.action === 'failover' && typeof e.detail?.runId === 'string');
  const started = runs.findLast((e) => e.event === 'started');
  if (!started || now - Date.parse(started.at) > INTERRUPTED_WINDOW_MS) return null;
  const runId = started.detail?.runId as string;
  const to = started.detail?.to;
  const end = runs.findLast((e) => e.detail?.runId === runId && TERMINAL.has(e.event));
  if (!end) return typeof to === 'string' ? { runId, actor: started.actor, to } : null;
  const unfinished = end.detail?.unfinished as { to?: unknown } | undefined;
  if (end.event === 'failed' && typeof unfinished?.to === 'string')
    return { runId, actor: started.actor, to: unfinished.to };
  return null;
}

/** ECS service counts -> the policy's task condition. */
function taskCondition(outcome: Outcome<TunnelTaskState> | undefined): TaskCondition {
  if (!outcome?.ok) return 'unknown';
  const t = outcome.value;
  if (t.deploying) return 'deploying';
  if (t.running > 0) return 'running';
  return t.pending > 0 ? 'replacing' : 'stopped';
}

const ageOf = (beat: Heartbeat | undefined, now: number): number | null =>
  beat ? Math.max(0, now - Date.parse(beat.at)) : null;

/** One tunnel as the policy sees it: its monitor's last heartbeat (if any), its task and its peer's view of its host. */
export function tunnelFacts(
  name: string,
  beat: Heartbeat | undefined,
  now: number,
  task: TaskCondition,
  host: TunnelFacts['host'] = 'unknown',
): TunnelFacts {
  return {
    name,
    health: (beat?.health ?? 'unknown') as MonitorHealth,
    riseCount: beat?.riseCount ?? 0,
    fallCount: beat?.fallCount ?? 0,
    heartbeatAgeMs: ageOf(beat, now),
    task,
    host,
    ...(beat?.goodbye && beat.health === 'down' ? { goodbye: true } : {}),
    ...(beat?.certFault ? { certFault: beat.certFault } : {}),
  };
}

/** What the other tunnel's monitor says of this tunnel's host; only a live observer's word counts. */
function hostAsSeenByPeer(
  site: Site,
  tunnel: string,
  observer: Heartbeat | undefined,
  now: number,
): TunnelFacts['host'] {
  const age = ageOf(observer, now);
  if (age === null || age > silentAfterMs(site.failover) || observer?.peer?.tunnel !== tunnel)
    return 'unknown';
  return hostReach(observer.peer, site.failover.fall);
}

/** The active tunnel as the route tables say, or why there is none. */
function activeFromRoutes(
  site: Site,
  outcome: Outcome<RouteObservation[]> | undefined,
): {
  active: string | null;
  problem?: string;
  unreadable?: true;
  stranded?: { live: string | null; count: number };
} {
  if (!outcome)
    return { active: null, unreadable: true, problem: 'cannot read the route tables: no observation' };
  if (!outcome.ok)
    return { active: null, unreadable: true, problem: `cannot read the route tables: ${outcome.reason}` };
  const slots = routeSlots(site, outcome.value);
  const tunnels = new Set(slots.map((s) => s.tunnel));
  if (tunnels.size === 1 && !tunnels.has(null)) return { active: slots[0]!.tunnel };
  const odd = slots.filter((s) => s.tunnel !== mostCommonTunnel(slots));
  const problem = odd.map((s) => `${s.routeTableId} ${s.cidr} -> ${s.tunnel ?? 'nowhere'}`).join(', ');
  const live = [...tunnels].filter((t): t is string => t !== null);
  // Routes to nowhere beside routes that agree on at most one tunnel can be repaired; two live tunnels cannot.
  if (live.length <= 1) {
    return {
      active: null,
      problem,
      stranded: { live: live[0] ?? null, count: slots.filter((s) => s.tunnel === null).length },
    };
  }
  return { active: null, problem };
}

/** The cooldown's and the hourly cap's inputs: one entry per completed failover run (see FailoverRuns). */
function failoverHistory(done: readonly FailoverRun[], now: number, controllerActor: string) {
  const last = done.at(-1);
  return {
    sinceLastFailoverMs: last ? now - Date.parse(last.at) : null,
    // Every automatic decider counts: the backstop ("controller") and the fast path ("controller@monitor:...").
    automaticLastHour: done.filter(
      (e) =>
        (e.actor === controllerActor || e.actor.startsWith(`${controllerActor}@`)) &&
        now - Date.parse(e.at) < HOUR_MS,
    ).length,
  };
}

type FactsDeps = {
  account: Pick<Account, 'routeTables' | 'tasks'>;
  store: Store;
  clock: Clock;
  controllerActor: string;
  /** With it, a dead holder's lease is broken here and its run counts as interrupted at once. */
  liveness?: ProcessLiveness;
  log?: Logger;
};

/** The site's routes, and its route epoch when it was read just before them (see RouteEpochs). */
interface ObservedRoutes {
  routes: Map<string, Outcome<RouteObservation[]>>;
  epoch?: number;
}

/**
 * The site's routes: the caller's observation when it has one, else the route epoch, then one read (a failed
 * read is an outcome too). The epoch read must end before the route read starts: a run's writes that the
 * route read may have seen then moved it on.
 */
async function observeRoutes(
  deps: FactsDeps,
  site: Site,
  observed: Outcome<RouteObservation[]> | undefined,
): Promise<ObservedRoutes> {
  if (observed) return { routes: new Map([[site.name, observed]]) };
  const epoch = await new RouteEpochs(deps.store).read(site.name).catch(() => undefined);
  const routes = await deps.account.routeTables
    .observe([site])
    .catch((err: Error) => new Map([[site.name, { ok: false as const, reason: err.message }]]));
  return { routes, ...(epoch === undefined ? {} : { epoch }) };
}

/**
 * Every read one site's decision needs, in parallel: routes, tasks, audit, lease, recorded runs; the heartbeats
 * once AWS has answered, aged against the clock right after (gatherFacts): in an AZ outage the route read waits
 * seconds in the account's Describe bucket, longer than a heartbeat stays fresh (`fall` rounds), and a heartbeat
 * read before that wait would make the live observer of a dead host look silent.
 */
function readSite(deps: FactsDeps, site: Site, observed: Outcome<RouteObservation[]> | undefined) {
  const routes = observeRoutes(deps, site, observed);
  const tasks = deps.account.tasks.observe([site]).catch(() => new Map<string, Outcome<TunnelTaskState>>());
  return Promise.all([
    routes,
    tasks,
    Promise.all([routes, tasks]).then(() =>
      Promise.all(
        site.tunnels.map((t) => deps.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, t.name))),
      ),
    ),
    deps.store.listAudit({ site: site.name, limit: 500 }),
    new SiteLock({
      store: deps.store,
      clock: deps.clock,
      ...(deps.liveness ? { liveness: deps.liveness } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    }).holder(site.name),
    deps.store.get<FailoverRun[]>(FAILOVER_RUNS_NS, site.name),
  ]);
}

/** The later of two heartbeats of one tunnel (the store's, a monitor's own just measured); `own` on a tie. */
function newest(stored: Heartbeat | undefined, own: Heartbeat | undefined): Heartbeat | undefined {
  if (!stored || !own) return own ?? stored;
  return Date.parse(own.at) >= Date.parse(stored.at) ? own : stored;
}

/** Both tunnels as the policy sees them: each one's heartbeat and task, and its peer's view of its host. */
function siteTunnelFacts(
  site: Site,
  tasks: Map<string, Outcome<TunnelTaskState>>,
  beats: ReadonlyArray<Heartbeat | undefined>,
  now: number,
): [TunnelFacts, TunnelFacts] {
  const facts = site.tunnels.map((t, i) =>
    tunnelFacts(
      t.name,
      beats[i],
      now,
      taskCondition(tasks.get(tunnelKey(site.name, t.name))),
      hostAsSeenByPeer(site, t.name, beats[1 - i], now),
    ),
  );
  return [facts[0]!, facts[1]!];
}

/**
 * With no single active tunnel, whether a run is still at work (it holds a failover lease) or was interrupted
 * (no live lease, and its audit shows it never finished).
 */
function unfinishedRun(
  active: string | null,
  lease: { owner: string; expiresAt: number } | null,
  audit: readonly AuditEntry[],
  now: number,
): Pick<PolicyInput, 'interrupted' | 'failoverInProgress'> {
  if (active !== null) return {};
  // Only with no live lease: a run holding one is still at work (or its lease has seconds left).
  const interrupted = !lease ? interruptedRun(audit, now) : null;
  if (interrupted) return { interrupted };
  if (lease?.owner.startsWith('failover:'))
    return { failoverInProgress: { owner: lease.owner, expiresAt: lease.expiresAt } };
  return {};
}

/** What one site's decision rests on: the policy's input, and the routes read for it (a run may use them). */
export interface SiteFacts {
  input: PolicyInput;
  seen?: SeenRoutes;
}

/** Reads the truth for one site (routes, heartbeats, tasks, audit) in parallel and shapes the policy input. */
export async function gatherFacts(
  deps: FactsDeps,
  site: Site,
  /** The site's routes when the caller already read them (the reconcile reads every site in one call). */
  observed?: Outcome<RouteObservation[]>,
  /** A monitor's heartbeat of its own tunnel, just measured (the fast path): used when newer than the store's. */
  own?: Heartbeat,
): Promise<SiteFacts> {
  const [{ routes, epoch }, tasks, stored, audit, lease, recorded] = await readSite(deps, site, observed);
  const beats = site.tunnels.map((t, i) =>
    newest(stored[i]?.value, own?.tunnel === t.name ? own : undefined),
  );
  const now = deps.clock.now();
  const seenRoutes = routes.get(site.name);
  const { active, problem, unreadable, stranded } = activeFromRoutes(site, seenRoutes);
  const input: PolicyInput = {
    site: site.name,
    active,
    ...(problem ? { routesProblem: problem } : {}),
    ...(unreadable ? { routesUnreadable: true } : {}),
    ...(stranded ? { stranded } : {}),
    ...unfinishedRun(active, lease, audit, now),
    tunnels: siteTunnelFacts(site, tasks, beats, now),
    settings: site.failover,
    ...failoverHistory(mergeRuns(recorded?.value ?? [], audit), now, deps.controllerActor),
  };
  const seen =
    epoch !== undefined && seenRoutes?.ok ? { epoch, slots: routeSlots(site, seenRoutes.value) } : undefined;
  return { input, ...(seen ? { seen } : {}) };
}
