import type { AuditEntry } from '../domain/audit.js';

/**
 * The state store: approvals, locks, dedupe keys, heartbeats, message refs, and the audit log.
 * Adapters: SQLite (src/local/sqlite-store.ts, the embedded default) and DynamoDB (src/aws/dynamo-store.ts).
 * Every conditional method is atomic, so two processes on one store agree on who won.
 */
export interface Versioned<T> {
  value: T;
  /** Starts at 1 and grows by one on every write; compareAndSet needs it. */
  version: number;
  /** Epoch ms after which the record reads as absent, or null. */
  expiresAt: number | null;
  /**
   * The token the record was created with (create's `token`), present only then. Unlike the version, it is
   * unique per creation: a lease's renew, release and break compare it, so they can never act on the next
   * holder's record that happens to sit at the same version (the ABA problem).
   */
  token?: string;
}

export interface AuditQuery {
  site?: string;
  /** The most recent N entries (still returned oldest first). */
  limit?: number;
}

export interface AuditPageQuery {
  site?: string;
  limit: number;
  /** A `next` from the previous page: entries older than it. */
  before?: string;
}

/** Newest first; `next` is null on the last page. */
export interface AuditPage {
  entries: AuditEntry[];
  next: string | null;
}

/** Store.advance's bounds, all in the number's own unit (the EC2 budget's: epoch ms). */
export interface AdvanceRequest {
  /** What an absent or expired record, or one replaced, counts as; a stored number behind it counts as it. */
  floor: number;
  /** Added to max(stored, floor). */
  increment: number;
  /** The most the stored number may be for the advance to happen; above it nothing is written. */
  ceiling: number;
  /** A stored number above this, or a value that is no number, is no honest writer's: replaced from `floor`. */
  replaceAbove: number;
  /** The record's life after this write (it reads as absent after). */
  ttlMs: number;
}

export type AdvanceResult =
  /** `value` is the number now stored; `replaced` says a live record was no honest writer's. */
  | { advanced: true; value: number; replaced: boolean }
  /** The stored number was above the ceiling: nothing written. */
  | { advanced: false; stored: number };

export interface Store {
  get<T>(ns: string, key: string): Promise<Versioned<T> | null>;
  /**
   * Writes only if the key is absent or expired. True when this call created it. A `token` (random, one per
   * creation) is stored with the record for extendIfToken/deleteIfToken.
   */
  create<T>(ns: string, key: string, value: T, ttlMs?: number, token?: string): Promise<boolean>;
  /** Unconditional write; returns the new version. */
  put<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<number>;
  /**
   * Writes only if the stored version (of a live record) equals expectedVersion. With `audit`, the entry is
   * appended in the same transaction: a state change and its audit entry are both stored or neither is.
   */
  compareAndSet<T>(
    ns: string,
    key: string,
    expectedVersion: number,
    value: T,
    ttlMs?: number,
    audit?: AuditEntry,
  ): Promise<boolean>;
  /** Deletes (only at expectedVersion when given). True when something was deleted. */
  delete(ns: string, key: string, expectedVersion?: number): Promise<boolean>;
  /** Moves a live record's expiry to now + ttlMs only while it carries `token` (a lease's renewal). */
  extendIfToken(ns: string, key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes a live record only while it carries `token` (a lease's release, or breaking a dead holder's). */
  deleteIfToken(ns: string, key: string, token: string): Promise<boolean>;
  /**
   * Live records of a namespace, by key. A namespace kept per site (src/ports/site-records.ts) is listed one
   * site at a time (`{ site }`), any other namespace whole.
   */
  list<T>(ns: string, opts?: { site?: string }): Promise<Array<{ key: string } & Versioned<T>>>;
  /**
   * The live records of the given keys of one namespace, in one read however many keys and sites (a fleet's
   * heartbeats); absent or expired keys are left out of the map.
   */
  getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, Versioned<T>>>;
  /**
   * Every site's live records of a namespace kept per site and listed fleet-wide (isFleetListed, e.g. the
   * outbox) in one read, not one per site. Eventually consistent in DynamoDB (a global index): a record written
   * a moment ago may be missing, and a version may be one behind (a compare-and-set on it then fails).
   */
  listAllSites<T>(ns: string): Promise<Array<{ key: string } & Versioned<T>>>;
  /**
   * Moves a number every process shares (the EC2 budget's GCRA time) forward in one atomic write, with no read
   * before it: callers that all reserve at once are served one write each and none loses a race to retry. The
   * record reads back (get, list) as `{ n: number }`.
   */
  advance(ns: string, key: string, request: AdvanceRequest): Promise<AdvanceResult>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Oldest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
  /** One page of the audit log, newest first, for callers that page through all of it (GET /api/audit). */
  pageAudit(query: AuditPageQuery): Promise<AuditPage>;
  close(): Promise<void>;
}
