import { AUDIT_RETENTION_MS, type AuditEntry } from '../domain/audit.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { checkFleetList, checkSiteList, siteOfRecord } from '../ports/site-records.js';
import type {
  AdvanceRequest,
  AdvanceResult,
  AuditPage,
  AuditPageQuery,
  AuditQuery,
  Store,
  Versioned,
} from '../ports/store.js';
import { advanceNumber, decideAdvance } from '../ports/store-advance.js';
import { immediate, openSqlite, type SqliteDb, statement } from './sqlite-db.js';
import { MIGRATIONS, prepareStatements, type Row } from './sqlite-schema.js';

/** How often expired records and audit entries past retention are deleted (also once at open). */
const PURGE_EVERY_MS = 10 * 60_000;

/** The embedded store: one SQLite file in the data dir, safe for several processes (WAL + immediate transactions). */
export class SqliteStore implements Store {
  private readonly db: SqliteDb;
  private readonly clock: Clock;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly purgeTimer: NodeJS.Timeout;

  constructor(props: { path: string; clock?: Clock }) {
    this.db = openSqlite(props.path, { busyTimeoutMs: 5000 });
    this.db.exec('PRAGMA journal_mode = WAL');
    // WAL's recommended setting: no fsync per commit (safe against corruption and process crashes; a power
    // loss may drop the last commits). FULL made every SNS ingest wait on two fsyncs.
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.clock = props.clock ?? systemClock;
    this.migrate();
    this.sql = prepareStatements(this.db);
    // Expired records read as absent anyway; deleting them keeps the file from growing without bound.
    this.purgeExpired();
    this.purgeTimer = setInterval(() => this.purgeExpired(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  /** Deletes records past their expiry and audit entries past AUDIT_RETENTION_MS. */
  purgeExpired(): void {
    const now = this.clock.now();
    immediate(this.db, () => {
      this.sql.purgeRecords.run(now);
      this.sql.purgeAudit.run(new Date(now - AUDIT_RETENTION_MS).toISOString());
    });
  }

  private migrate(): void {
    for (let v = this.userVersion(); v < MIGRATIONS.length; v++) {
      immediate(this.db, () => {
        // Another process may have migrated between our read and our lock.
        if (this.userVersion() > v) return;
        this.db.exec(MIGRATIONS[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  private userVersion(): number {
    return statement<[], { user_version: number }>(this.db, 'PRAGMA user_version').get()?.user_version ?? 0;
  }

  private live(row: Row | undefined): row is Row {
    return row !== undefined && (row.expires_at === null || row.expires_at > this.clock.now());
  }

  private expiry(ttlMs?: number): number | null {
    return ttlMs === undefined ? null : this.clock.now() + ttlMs;
  }

  private row(ns: string, key: string): Row | undefined {
    return this.sql.row.get(ns, key);
  }

  private toVersioned<T>(row: Row): Versioned<T> {
    return {
      value: JSON.parse(row.value) as T,
      version: row.version,
      expiresAt: row.expires_at,
      ...(row.token === null ? {} : { token: row.token }),
    };
  }

  async get<T>(ns: string, key: string): Promise<Versioned<T> | null> {
    const row = this.row(ns, key);
    return this.live(row) ? this.toVersioned<T>(row) : null;
  }

  async create<T>(ns: string, key: string, value: T, ttlMs?: number, token?: string): Promise<boolean> {
    return immediate(this.db, () => {
      if (this.live(this.row(ns, key))) return false;
      this.sql.upsert.run(ns, key, JSON.stringify(value), 1, this.expiry(ttlMs), token ?? null);
      return true;
    });
  }

  async put<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<number> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      const version = this.live(row) ? row.version + 1 : 1;
      this.sql.upsert.run(ns, key, JSON.stringify(value), version, this.expiry(ttlMs), null);
      return version;
    });
  }

  async compareAndSet<T>(
    ns: string,
    key: string,
    expectedVersion: number,
    value: T,
    ttlMs?: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      if (!this.live(row) || row.version !== expectedVersion) return false;
      this.sql.update.run(JSON.stringify(value), expectedVersion + 1, this.expiry(ttlMs), ns, key);
      if (audit) this.sql.appendAudit.run(audit.at, audit.site, JSON.stringify(audit));
      return true;
    });
  }

  async delete(ns: string, key: string, expectedVersion?: number): Promise<boolean> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      if (!this.live(row)) return false;
      if (expectedVersion !== undefined && row.version !== expectedVersion) return false;
      this.sql.delete.run(ns, key);
      return true;
    });
  }

  async extendIfToken(ns: string, key: string, token: string, ttlMs: number): Promise<boolean> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      if (!this.live(row) || row.token !== token) return false;
      this.sql.extend.run(this.clock.now() + ttlMs, ns, key);
      return true;
    });
  }

  async deleteIfToken(ns: string, key: string, token: string): Promise<boolean> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      if (!this.live(row) || row.token !== token) return false;
      this.sql.delete.run(ns, key);
      return true;
    });
  }

  async list<T>(ns: string, opts: { site?: string } = {}): Promise<Array<{ key: string } & Versioned<T>>> {
    checkSiteList(ns, opts.site);
    return this.sql.list
      .all(ns)
      .filter((r) => this.live(r) && (opts.site === undefined || siteOfRecord(ns, r.key) === opts.site))
      .map((r) => ({ key: r.key, ...this.toVersioned<T>(r) }));
  }

  async getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    const out = new Map<string, Versioned<T>>();
    if (keys.length === 0) return out;
    for (const r of this.sql.many.all(ns, JSON.stringify(keys)))
      if (this.live(r)) out.set(r.key, this.toVersioned<T>(r));
    return out;
  }

  async listAllSites<T>(ns: string): Promise<Array<{ key: string } & Versioned<T>>> {
    checkFleetList(ns);
    return this.sql.list
      .all(ns)
      .filter((r) => this.live(r))
      .map((r) => ({ key: r.key, ...this.toVersioned<T>(r) }));
  }

  async advance(ns: string, key: string, request: AdvanceRequest): Promise<AdvanceResult> {
    return immediate(this.db, () => {
      const row = this.row(ns, key);
      const live = this.live(row);
      const result = decideAdvance(live, live ? advanceNumber(parseJson(row.value)) : undefined, request);
      if (result.advanced) {
        const value = JSON.stringify({ n: result.value });
        this.sql.upsert.run(ns, key, value, live ? row.version + 1 : 1, this.expiry(request.ttlMs), null);
      }
      return result;
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.sql.appendAudit.run(entry.at, entry.site, JSON.stringify(entry));
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? 1_000_000;
    const rows =
      query.site === undefined
        ? this.sql.listAudit.all(limit)
        : this.sql.listSiteAudit.all(query.site, limit);
    return rows.reverse().map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  async pageAudit(query: AuditPageQuery): Promise<AuditPage> {
    const before = query.before === undefined ? Number.MAX_SAFE_INTEGER : Number(query.before);
    if (!Number.isSafeInteger(before)) return { entries: [], next: null };
    // One more than asked tells whether another page follows.
    const rows =
      query.site === undefined
        ? this.sql.pageAudit.all(before, query.limit + 1)
        : this.sql.pageSiteAudit.all(query.site, before, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      entries: page.map((r) => JSON.parse(r.entry) as AuditEntry),
      next: rows.length > query.limit && last ? String(last.seq) : null,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.db.close();
  }
}

/** A stored value, or undefined when it is not JSON (an advance record replaces anything it cannot read). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
