import { AUDIT_RETENTION_MS, type AuditEntry } from '../domain/audit.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { checkFleetList, checkSiteList, siteOfRecord } from '../ports/site-records.js';
import type { AuditPage, AuditPageQuery, AuditQuery, Store, Versioned } from '../ports/store.js';
import { immediate, openSqlite, type SqliteDb, statement } from './sqlite-db.js';

/** Schema migrations, applied in order; user_version records how far a database has come. */
const MIGRATIONS: string[] = [
  `CREATE TABLE records (
     ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
     version INTEGER NOT NULL, expires_at INTEGER,
     PRIMARY KEY (ns, key)
   );
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, site TEXT NOT NULL,
     entry TEXT NOT NULL
   );
   CREATE INDEX audit_site ON audit (site, seq);`,
  // A lease's token (random per acquisition): renew, release and break compare it, never the version.
  'ALTER TABLE records ADD COLUMN token TEXT;',
  // The purge of entries past the audit retention reads by time.
  'CREATE INDEX audit_at ON audit (at);',
];

/** How often expired records and audit entries past retention are deleted (also once at open). */
const PURGE_EVERY_MS = 10 * 60_000;

interface Row {
  key: string;
  value: string;
  version: number;
  expires_at: number | null;
  token: string | null;
}

/** Every statement the store runs, compiled once (create/put run per SNS message, so per-call prepare cost shows). */
function prepareStatements(db: SqliteDb) {
  return {
    row: statement<[string, string], Row>(
      db,
      'SELECT key, value, version, expires_at, token FROM records WHERE ns = ? AND key = ?',
    ),
    upsert: statement<[string, string, string, number, number | null, string | null]>(
      db,
      'INSERT OR REPLACE INTO records (ns, key, value, version, expires_at, token) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    extend: statement<[number, string, string]>(
      db,
      'UPDATE records SET version = version + 1, expires_at = ? WHERE ns = ? AND key = ?',
    ),
    update: statement<[string, number, number | null, string, string]>(
      db,
      'UPDATE records SET value = ?, version = ?, expires_at = ? WHERE ns = ? AND key = ?',
    ),
    delete: statement<[string, string]>(db, 'DELETE FROM records WHERE ns = ? AND key = ?'),
    list: statement<[string], Row>(
      db,
      'SELECT key, value, version, expires_at, token FROM records WHERE ns = ? ORDER BY key',
    ),
    // The keys come as one JSON array: one statement for any number of keys.
    many: statement<[string, string], Row>(
      db,
      'SELECT key, value, version, expires_at, token FROM records WHERE ns = ? AND key IN (SELECT value FROM json_each(?))',
    ),
    appendAudit: statement<[string, string, string]>(
      db,
      'INSERT INTO audit (at, site, entry) VALUES (?, ?, ?)',
    ),
    listAudit: statement<[number], { entry: string }>(
      db,
      'SELECT entry FROM audit ORDER BY seq DESC LIMIT ?',
    ),
    listSiteAudit: statement<[string, number], { entry: string }>(
      db,
      'SELECT entry FROM audit WHERE site = ? ORDER BY seq DESC LIMIT ?',
    ),
    pageAudit: statement<[number, number], { seq: number; entry: string }>(
      db,
      'SELECT seq, entry FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    pageSiteAudit: statement<[string, number, number], { seq: number; entry: string }>(
      db,
      'SELECT seq, entry FROM audit WHERE site = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    purgeRecords: statement<[number]>(
      db,
      'DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?',
    ),
    purgeAudit: statement<[string]>(db, 'DELETE FROM audit WHERE at < ?'),
  };
}

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
