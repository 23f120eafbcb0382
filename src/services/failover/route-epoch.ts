import type { RouteSlot } from '../../domain/route-plan.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../ports/store.js';
import { advanceNumber } from '../../ports/store-advance.js';

/** Store namespace of the route epochs, one record per site keyed by the site's name (a site namespace). */
export const ROUTE_EPOCH_NS = 'route-epoch';
/** Long enough that no decision can span it; an expired record only reads as 0 (and forces a re-read). */
const TTL_MS = 7 * 24 * 3_600_000;

/**
 * The routes a decision read, and the site's route epoch read just before them: a run may move routes from this
 * observation instead of reading EC2 again under its lease, as long as the epoch is still the same then.
 */
export interface SeenRoutes {
  epoch: number;
  slots: readonly RouteSlot[];
}

/**
 * A per-site counter of route writing: every run moves it on once before its first route call and once after
 * its last, so an unchanged epoch between a read of the routes and a run's lease proves no run wrote them in
 * between, nor was writing while they were read (it would have moved the epoch on when it ended). Humans and
 * other tools do not move it, but a read under the lease does not fence them either: EC2 takes no token.
 *
 * Why: under the lease the routes used to be read again. In an AZ outage at fleet scale that read waits behind
 * every other site's decision read in the account's DescribeRouteTables bucket (100, then 20 a second):
 * bench:fleet's first site healed at 24 s instead of 2 s, and the 250 extra reads pushed the last one to 104 s.
 */
export class RouteEpochs {
  constructor(private readonly store: Store) {}

  /** The site's epoch now (0 when no run has written in a week); rejects when the store cannot say. */
  async read(site: string): Promise<number> {
    return advanceNumber((await this.store.get(ROUTE_EPOCH_NS, site))?.value) ?? 0;
  }

  /** Whether the epoch is still `seen` (no run has written the routes since); an unreadable epoch is not. */
  async unchangedSince(site: string, seen: number, log: Logger): Promise<boolean> {
    const now = await this.read(site).catch((err) => {
      log.warn({ err }, 'could not read the route epoch; reading the routes again');
      return undefined;
    });
    if (now !== seen) log.info({ seen, now }, 'routes may have moved since the decision read them');
    return now === seen;
  }

  /** Moves the epoch on; a store that fails is logged, never in the way of the run's route calls. */
  async moveOn(site: string, log: Logger): Promise<void> {
    await this.advance(site).catch((err) => log.warn({ err }, 'could not move the route epoch on'));
  }

  /** Moves the epoch on by one (atomic, no read first); the new value. */
  async advance(site: string): Promise<number> {
    const r = await this.store.advance(ROUTE_EPOCH_NS, site, {
      floor: 0,
      increment: 1,
      ceiling: Number.MAX_SAFE_INTEGER - 1,
      replaceAbove: Number.MAX_SAFE_INTEGER - 1,
      ttlMs: TTL_MS,
    });
    if (!r.advanced) throw new Error(`route epoch of ${site} is at its ceiling (${r.stored})`);
    return r.value;
  }
}
