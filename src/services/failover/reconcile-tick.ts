import type { Site } from '../../config/topology-schema.js';
import type { RouteObservation } from '../../domain/observations.js';
import type { Outcome } from '../../domain/outcome.js';
import type { Logger } from '../../log.js';
import type { Account } from '../../ports/account.js';
import type { Clock } from '../../ports/clock.js';
import type { ProcessLiveness } from '../../ports/liveness.js';
import type { RouteReadQueue } from '../../ports/route-read-queue.js';
import type { Store } from '../../ports/store.js';
import { SiteLock } from '../execution/site-lock.js';

/**
 * The reconcile tick defers while a route read would wait longer than this for its turn. In steady state the
 * queue is empty or a second or so (500 sites' backstops spread over the minute spend ~8 of the Describe bucket's 20
 * reads a second); 10 s (200 reads past the burst) is an event, whose reads are the fast paths' that move routes.
 * It stays well under the budget's one-minute bound, so the backstop steps aside before reads go out of turn.
 */
export const DEFER_RECONCILE_ABOVE_MS = 10_000;

/** A site the reconcile tick left alone: nothing read, nothing decided. */
export interface ReconcileDeferral {
  site: string;
  region: string;
  /** How long a route read in the site's region would have waited for its turn. */
  queueMs: number;
}

/** The reconcile tick's result: the sites it evaluated, and those it deferred (nothing read or decided). */
export interface TickResult<O> {
  outcomes: O[];
  deferred: ReconcileDeferral[];
}

type TickDeps = {
  account: Pick<Account, 'routeTables' | 'routeReadQueue'>;
  store: Store;
  clock: Clock;
  log: Logger;
  liveness?: ProcessLiveness;
  deferReconcileAboveMs?: number;
};

/**
 * The reconcile tick over every site (FailoverController.reconcileAll). Before any AWS read it defers while the
 * account's route reads queue long (with `account.routeReadQueue`: an AWS account with a shared budget), and
 * gives a site whose lease a failover run holds no read (it follows the run). The other sites' routes are read
 * in one batched observe (one DescribeRouteTables per region and 200 tables, not one per site: at 500 sites that
 * is the difference between 5 and 500 calls a minute from EC2's shared Describe bucket). A site `busy` with an
 * evaluation already queued reads its own, fresher routes after it. `evaluate` queues one site's evaluation.
 */
export async function reconcileSites<O>(
  deps: TickDeps,
  sites: readonly Site[],
  tick: {
    busy: (site: string) => boolean;
    evaluate: (site: string, observed: Outcome<RouteObservation[]> | undefined) => Promise<O>;
  },
): Promise<TickResult<O>> {
  const { account, store, clock, log, liveness } = deps;
  const deferred = account.routeReadQueue
    ? await deferredReconciles(
        account.routeReadQueue,
        sites,
        deps.deferReconcileAboveMs ?? DEFER_RECONCILE_ABOVE_MS,
        log,
      )
    : [];
  const skipped = new Set(deferred.map((d) => d.site));
  const due = sites.filter((s) => !skipped.has(s.name));
  const free = due.filter((s) => !tick.busy(s.name));
  const lock = new SiteLock({ store, clock, log, ...(liveness ? { liveness } : {}) });
  const underRuns = await runsHoldingLeases(lock, free);
  const idle = free.filter((s) => !underRuns.has(s.name));
  const observed =
    idle.length > 1
      ? await account.routeTables.observe(idle).catch((err: Error) => {
          log.warn({ err }, 'reconcile: the batched route read failed; each site reads its own');
          return undefined;
        })
      : undefined;
  const results = await Promise.allSettled(
    due.map((s) => tick.evaluate(s.name, underRuns.get(s.name) ?? observed?.get(s.name))),
  );
  return { outcomes: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])), deferred };
}

/**
 * The sites whose region's route-read queue is longer than `thresholdMs`: their reconcile would only queue a read
 * that decides nothing behind (and ahead of) the fast paths' reads that move routes. One queue read per region.
 */
async function deferredReconciles(
  queue: RouteReadQueue,
  sites: readonly Site[],
  thresholdMs: number,
  log: Logger,
): Promise<ReconcileDeferral[]> {
  const regions = [...new Set(sites.map((s) => s.region))];
  // The backstop is the net: a queue that cannot be read defers nothing (the port says 0; a fault here too).
  const waits = await Promise.all(regions.map((region) => queue.waitMs(region).catch(() => 0)));
  return regions.flatMap((region, i) => {
    const queueMs = waits[i] ?? 0;
    if (queueMs <= thresholdMs) return [];
    const names = sites.filter((s) => s.region === region).map((s) => s.name);
    log.info(
      {
        region,
        queueMs: Math.round(queueMs),
        thresholdMs,
        ...(names.length === 1 ? { site: names[0] } : { sites: names.length }),
      },
      `reconcile deferred: a route read in ${region} would wait ${seconds(queueMs)} for its turn, more than ${seconds(thresholdMs)}; the fast path is at work; the next tick looks again`,
    );
    return names.map((site) => ({ site, region, queueMs }));
  });
}

/**
 * The sites whose lease a failover run holds, with the "observation" their reconcile gets instead of a route
 * read: the run is moving those routes (and reads them back), and a reconcile read would decide nothing but to
 * follow it. Not read, the routes show no active tunnel, so the policy sees the run in progress (gatherFacts'
 * unfinishedRun: a lease whose owner is a failover run, hence the same prefix) and the controller follows the
 * run; its end is evaluated with a fresh read. A lease released in between leaves the routes unread: nothing
 * done (unless the run was left unfinished: finishing it reads under its own lease), and the next tick looks
 * again. Other holders (a redeploy) are reconciled as before.
 */
async function runsHoldingLeases(
  lock: SiteLock,
  sites: readonly Site[],
): Promise<Map<string, Outcome<RouteObservation[]>>> {
  const holders = await Promise.all(sites.map((s) => lock.holder(s.name).catch(() => null)));
  return new Map(
    sites.flatMap((s, i) => {
      const owner = holders[i]?.owner;
      return owner?.startsWith('failover:')
        ? [[s.name, { ok: false as const, reason: `not read: failover run ${owner} holds the site lease` }]]
        : [];
    }),
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
