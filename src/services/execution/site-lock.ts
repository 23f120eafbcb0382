import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessAddress, ProcessLiveness } from '../../ports/liveness.js';
import type { Store } from '../../ports/store.js';

/**
 * A held site lock. `token` is random and unique to this acquisition: renew and release act only while the
 * stored lease still carries it, so they can never touch a later holder's lease.
 */
export interface Lease {
  site: string;
  owner: string;
  token: string;
  expiresAt: number;
}

interface LockValue {
  owner: string;
  acquiredAt: string;
  purpose: string;
  /** Where the holder's process answers while it lives (a monitor's fast path); absent for other holders. */
  liveness?: LivenessAddress;
}

export interface LeaseHolder {
  owner: string;
  purpose: string;
  expiresAt: number;
  liveness?: LivenessAddress;
}

const NS = 'lock';
const keyOf = (site: string): string => `site:${site}`;
/**
 * A route writer stops this long before its lease's expiry: room for the last call to land and for clock skew
 * between processes (another process may see the lease expired that much early). Store writes need no such
 * margin: they are conditional on the lease's token.
 */
const SAFETY_MS = 250;

const newToken = (): string => randomBytes(16).toString('hex');

/**
 * One actor per site at a time (failover, redeploy, controller), as a lease in the store.
 * The lease has a TTL, so a process that dies while holding it blocks the site only until it expires;
 * the next holder re-reads the route tables and converges.
 */
export class SiteLock {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly liveness: ProcessLiveness | undefined;
  private readonly log: Logger | undefined;
  /** A lease with less than this left is treated as gone (see SAFETY_MS). */
  readonly safetyMs: number;

  constructor(props: {
    store: Store;
    clock: Clock;
    safetyMs?: number;
    /** With it, a lease whose holder is provably dead is broken at once instead of waited out. */
    liveness?: ProcessLiveness;
    log?: Logger;
  }) {
    this.store = props.store;
    this.clock = props.clock;
    this.safetyMs = props.safetyMs ?? SAFETY_MS;
    this.liveness = props.liveness;
    this.log = props.log;
  }

  /**
   * The lease, or null when someone else holds a live one. `holderAt` goes on the lease: where this process
   * answers while it lives, so others can break the lease the moment it dies.
   */
  async acquire(
    site: string,
    owner: string,
    ttlMs: number,
    purpose: string,
    holderAt?: LivenessAddress,
  ): Promise<Lease | null> {
    const value: LockValue = {
      owner,
      acquiredAt: new Date(this.clock.now()).toISOString(),
      purpose,
      ...(holderAt ? { liveness: holderAt } : {}),
    };
    const token = newToken();
    const created =
      (await this.store.create(NS, keyOf(site), value, ttlMs, token)) ||
      ((await this.breakIfDead(site)) && (await this.store.create(NS, keyOf(site), value, ttlMs, token)));
    if (!created) return null;
    // Read back for the expiry the store actually recorded.
    const rec = await this.store.get<LockValue>(NS, keyOf(site));
    if (rec?.token !== token) return null;
    return { site, owner, token, expiresAt: rec.expiresAt ?? this.clock.now() + ttlMs };
  }

  /** Extends a lease still held under its token; null when it was lost (expired, broken, or taken). */
  async renew(lease: Lease, ttlMs: number): Promise<Lease | null> {
    const now = this.clock.now();
    if (!(await this.store.extendIfToken(NS, keyOf(lease.site), lease.token, ttlMs))) return null;
    return { ...lease, expiresAt: now + ttlMs };
  }

  /** Releases the lease if still held under its token; a lost one is left to expire or to its new holder. */
  async release(lease: Lease): Promise<void> {
    await this.store.deleteIfToken(NS, keyOf(lease.site), lease.token);
  }

  /** True while the store still holds this lease (its token, unexpired): what a route writer checks before a call. */
  async stillHeld(lease: Lease): Promise<boolean> {
    return (await this.store.get<LockValue>(NS, keyOf(lease.site)))?.token === lease.token;
  }

  /** The live holder of the site's lease; a provably dead holder's lease is broken on the way (and is none). */
  async holder(site: string): Promise<LeaseHolder | null> {
    return (await this.inspect(site)).holder;
  }

  /** Breaks the site's lease if its holder is provably dead (see inspect); true when it did. */
  async breakIfDead(site: string): Promise<boolean> {
    return (await this.inspect(site)).brokeDead;
  }

  /**
   * One read of the site's lease. With `checkLiveness` (and a liveness client), a holder whose process is
   * provably gone (its host refused the liveness connection, or another instance answers there) has its lease
   * deleted: a dead process issues no further route call, so waiting out its lease would only prolong the
   * outage. An unanswered check (host down, path cut) proves nothing and leaves the lease to expire. The delete
   * is conditional on the token read: if the lease was broken or expired and taken meanwhile, the next holder's
   * lease carries another token and stays.
   */
  async inspect(
    site: string,
    checkLiveness = true,
  ): Promise<{ holder: LeaseHolder | null; brokeDead: boolean }> {
    const rec = await this.store.get<LockValue>(NS, keyOf(site));
    if (!rec) return { holder: null, brokeDead: false };
    const at = rec.value.liveness;
    if (
      checkLiveness &&
      this.liveness &&
      at &&
      rec.token !== undefined &&
      (await this.liveness.check(at)) === 'dead' &&
      (await this.store.deleteIfToken(NS, keyOf(site), rec.token))
    ) {
      this.log?.warn(
        { site, owner: rec.value.owner, holder: at },
        'broke the site lease of a dead holder (its process is gone)',
      );
      return { holder: null, brokeDead: true };
    }
    return {
      holder: {
        owner: rec.value.owner,
        purpose: rec.value.purpose,
        expiresAt: rec.expiresAt ?? Number.POSITIVE_INFINITY,
        ...(at ? { liveness: at } : {}),
      },
      brokeDead: false,
    };
  }

  /** Who holds the site's lock, for what and until when, or null when it is free (a refusal's reason). */
  async heldReason(site: string): Promise<string | null> {
    const h = await this.holder(site);
    if (!h) return null;
    const until = Number.isFinite(h.expiresAt) ? new Date(h.expiresAt).toISOString() : 'released';
    return `${site} is locked by ${h.owner} for ${h.purpose} (lease until ${until})`;
  }

  /** Why acquire() just returned null. */
  async refusedReason(site: string): Promise<string> {
    return (await this.heldReason(site)) ?? `the site lock of ${site} was just taken by someone else`;
  }
}
