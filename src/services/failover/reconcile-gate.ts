import type { Site } from '../../config/topology-schema.js';
import type { RouteObservation } from '../../domain/observations.js';
import type { Outcome } from '../../domain/outcome.js';
import type { Logger } from '../../log.js';
import type { RouteReadQueue } from '../../ports/route-read-queue.js';
import type { SiteLock } from '../execution/site-lock.js';

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

/**
 * The sites whose region's route-read queue is longer than `thresholdMs`: their reconcile would only queue a read
 * that decides nothing behind (and ahead of) the fast paths' reads that move routes. One queue read per region.
 */
export async function deferredReconciles(
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
 * read: the run reads those routes under its lease, and a reconcile read would decide nothing but to follow it.
 * Not read, the routes show no active tunnel, so the policy sees the run in progress (gatherFacts'
 * unfinishedRun: a lease whose owner is a failover run, hence the same prefix) and the controller follows the
 * run; its end is evaluated with a fresh read. A lease released in between leaves routes unread: nothing done,
 * and the next tick looks again. Other holders (a redeploy) are reconciled as before.
 */
export async function runsHoldingLeases(
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
