import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessAddress, ProcessLiveness } from '../../ports/liveness.js';
import type { Store } from '../../ports/store.js';

/** A held site lock. `version` is the store record's version: renew and release only act while it is unchanged. */
export interface Lease {
  site: string;
  owner: string;
  version: number;
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
 * Versions restart at 1 when a record is re-created, so a version check alone cannot tell our expired lease
 * from the next holder's. Owners are unique (checked on read) and we never write a lease this close to its
 * expiry, which leaves a store round trip of room between the read and the conditional write.
 */
const SAFETY_MS = 250;

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
    const created =
      (await this.store.create(NS, keyOf(site), value, ttlMs)) ||
      ((await this.breakIfDead(site)) && (await this.store.create(NS, keyOf(site), value, ttlMs)));
    if (!created) return null;
    // Read back for the version and expiry the store actually recorded.
    const rec = await this.store.get<LockValue>(NS, keyOf(site));
    if (!rec || rec.value.owner !== owner) return null;
    return { site, owner, version: rec.version, expiresAt: rec.expiresAt ?? this.clock.now() + ttlMs };
  }

  /** Extends a lease still held at its version; null when it was lost (expired and taken, or released). */
  async renew(lease: Lease, ttlMs: number): Promise<Lease | null> {
    const now = this.clock.now();
    if (lease.expiresAt - now < this.safetyMs) return null;
    const rec = await this.store.get<LockValue>(NS, keyOf(lease.site));
    if (!rec || rec.version !== lease.version || rec.value.owner !== lease.owner) return null;
    if (!(await this.store.compareAndSet(NS, keyOf(lease.site), lease.version, rec.value, ttlMs)))
      return null;
    return { ...lease, version: lease.version + 1, expiresAt: now + ttlMs };
  }

  /** Releases the lease if still held; a lost (or nearly expired) lease is left to expire or to its new holder. */
  async release(lease: Lease): Promise<void> {
    if (lease.expiresAt - this.clock.now() < this.safetyMs) return;
    const rec = await this.store.get<LockValue>(NS, keyOf(lease.site));
    if (!rec || rec.version !== lease.version || rec.value.owner !== lease.owner) return;
    await this.store.delete(NS, keyOf(lease.site), lease.version);
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
   * is conditional on the version read, and never this close to the expiry (where the record could be
   * re-created at the same version by the next holder; see SAFETY_MS).
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
      (await this.liveness.check(at)) === 'dead' &&
      (rec.expiresAt === null || rec.expiresAt - this.clock.now() >= this.safetyMs) &&
      (await this.store.delete(NS, keyOf(site), rec.version))
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
