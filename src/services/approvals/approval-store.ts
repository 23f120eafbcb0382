import { type ApprovalAction, type ApprovalRequest, isTerminal } from '../../domain/approval.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Store, Versioned } from '../../ports/store.js';

const NS = 'approval';
const OPEN_NS = 'approval-open';
/** Finished requests stay readable (history, /vpn cancel answers) for 30 days, then the TTL drops them. */
const KEEP_CLOSED_MS = 30 * 24 * 3600_000;

const openKey = (site: string, action: ApprovalAction): string => `${site}/${action}`;
/**
 * A claim whose request record is missing is someone else's create in progress for this long: a slow store
 * write must not make it look abandoned. Only a claimer that died between claim and write leaves one older.
 */
export const CLAIM_GRACE_MS = 30_000;
/** While a fresh claim has no record yet, look again this often, this many times (~2 s), then say "busy". */
const CLAIM_POLL_MS = 25;
const CLAIM_POLLS = 80;

interface OpenClaim {
  id: string;
  /** Absent in claims written before this field existed: those are judged by their record alone. */
  claimedAt?: number;
}

export type CreateOutcome =
  | { created: true; record: Versioned<ApprovalRequest> }
  | { created: false; existing: ApprovalRequest }
  /** Another request for the slot is being created right now (its record is not written yet). */
  | { created: false; busy: true };

/**
 * Approval requests as store records. Every state change is a compare-and-set on the record's version, so
 * of two concurrent clicks exactly one wins. "One open request per site and action" is a create-if-absent
 * key in its own namespace, claimed before the request exists and released when it closes.
 */
export class ApprovalStore {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<Versioned<ApprovalRequest> | null> {
    return this.store.get<ApprovalRequest>(NS, id);
  }

  /** Creates the request unless another one is open for the same site and action (then returns that one). */
  async create(request: ApprovalRequest): Promise<CreateOutcome> {
    const key = openKey(request.site, request.action);
    let polls = 0;
    for (let attempt = 0; attempt < 10; ) {
      if (await this.store.create<OpenClaim>(OPEN_NS, key, { id: request.id, claimedAt: this.now() })) {
        await this.store.create(NS, request.id, request);
        const record = await this.get(request.id);
        if (!record) throw new Error(`approval ${request.id} vanished right after it was created`);
        return { created: true, record };
      }
      const open = await this.store.get<OpenClaim>(OPEN_NS, key);
      if (!open) {
        attempt++;
        continue; // released meanwhile: try again
      }
      const existing = await this.get(open.value.id);
      if (existing && !isTerminal(existing.value)) return { created: false, existing: existing.value };
      if (!existing && this.now() - (open.value.claimedAt ?? 0) < CLAIM_GRACE_MS) {
        // The claimer is still writing its request: wait for it, never steal its slot.
        if (++polls > CLAIM_POLLS) return { created: false, busy: true };
        await new Promise((r) => setTimeout(r, CLAIM_POLL_MS));
        continue;
      }
      // The holder closed (or died before writing or releasing): free the key at its version.
      await this.store.delete(OPEN_NS, key, open.version);
      attempt++;
    }
    throw new Error(`could not claim the open ${request.action} request slot of ${request.site}`);
  }

  /** Writes `next` only if the record is still at `expectedVersion`; with `audit`, both in one transaction. */
  async compareAndSet(expectedVersion: number, next: ApprovalRequest, audit?: AuditEntry): Promise<boolean> {
    const ttl = isTerminal(next) ? KEEP_CLOSED_MS : undefined;
    const done = await this.store.compareAndSet(NS, next.id, expectedVersion, next, ttl, audit);
    if (done && isTerminal(next)) await this.releaseOpen(next);
    return done;
  }

  /** Frees the site+action slot, only if it still names this request. */
  async releaseOpen(request: ApprovalRequest): Promise<void> {
    const key = openKey(request.site, request.action);
    const open = await this.store.get<{ id: string }>(OPEN_NS, key);
    if (open && open.value.id === request.id) await this.store.delete(OPEN_NS, key, open.version);
  }

  /** The open request of a site and action, if any. */
  async openFor(site: string, action: ApprovalAction): Promise<ApprovalRequest | null> {
    const open = await this.store.get<{ id: string }>(OPEN_NS, openKey(site, action));
    if (!open) return null;
    const rec = await this.get(open.value.id);
    return rec && !isTerminal(rec.value) ? rec.value : null;
  }

  /**
   * Every request not yet in a final state (for the sweep and for resuming after a restart). Read through the
   * open-slot claims (at most one per site and action), never by listing every request: closed ones are kept
   * 30 days and the sweep runs every 5 s. Every open request holds its claim until it closes.
   */
  async listOpen(): Promise<Array<Versioned<ApprovalRequest>>> {
    const claims = await this.store.list<OpenClaim>(OPEN_NS);
    const records = await Promise.all(claims.map((c) => this.get(c.value.id)));
    return records.filter((r): r is Versioned<ApprovalRequest> => r !== null && !isTerminal(r.value));
  }
}
