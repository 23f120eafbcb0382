import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, systemClock } from '../ports/clock.js';
import type { AuditEntry, AuditPage, AuditPageQuery, AuditQuery, Store, Versioned } from '../ports/store.js';

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
];

interface Row {
  key: string;
  value: string;
  version: number;
  expires_at: number | null;
}

/** The embedded store: one SQLite file in the data dir, safe for several processes (WAL + immediate transactions). */
/** Every statement the store runs, compiled once (create/put run per SNS message, so per-call prepare cost shows). */
function prepareStatements(db: Database.Database) {
  return {
    row: db.prepare<[string, string], Row>(
      'SELECT key, value, version, expires_at FROM records WHERE ns = ? AND key = ?',
    ),
    upsert: db.prepare<[string, string, string, number, number | null]>(
      'INSERT OR REPLACE INTO records (ns, key, value, version, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    update: db.prepare<[string, number, number | null, string, string]>(
      'UPDATE records SET value = ?, version = ?, expires_at = ? WHERE ns = ? AND key = ?',
    ),
    delete: db.prepare<[string, string]>('DELETE FROM records WHERE ns = ? AND key = ?'),
    list: db.prepare<[string], Row>(
      'SELECT key, value, version, expires_at FROM records WHERE ns = ? ORDER BY key',
    ),
    appendAudit: db.prepare<[string, string, string]>('INSERT INTO audit (at, site, entry) VALUES (?, ?, ?)'),
    listAudit: db.prepare<[number], { entry: string }>('SELECT entry FROM audit ORDER BY seq DESC LIMIT ?'),
    listSiteAudit: db.prepare<[string, number], { entry: string }>(
      'SELECT entry FROM audit WHERE site = ? ORDER BY seq DESC LIMIT ?',
    ),
    pageAudit: db.prepare<[number, number], { seq: number; entry: string }>(
      'SELECT seq, entry FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    pageSiteAudit: db.prepare<[string, number, number], { seq: number; entry: string }>(
      'SELECT seq, entry FROM audit WHERE site = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(props: { path: string; clock?: Clock }) {
    if (props.path !== ':memory:') mkdirSync(dirname(props.path), { recursive: true });
    this.db = new Database(props.path);
    this.db.pragma('journal_mode = WAL');
    // WAL's recommended setting: no fsync per commit (safe against corruption and process crashes; a power
    // loss may drop the last commits). FULL made every SNS ingest wait on two fsyncs.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.clock = props.clock ?? systemClock;
    this.migrate();
    this.sql = prepareStatements(this.db);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db
        .transaction(() => {
          this.db.exec(MIGRATIONS[v]!);
          this.db.pragma(`user_version = ${v + 1}`);
        })
        .immediate();
    }
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
    return { value: JSON.parse(row.value) as T, version: row.version, expiresAt: row.expires_at };
  }

  async get<T>(ns: string, key: string): Promise<Versioned<T> | null> {
    const row = this.row(ns, key);
    return this.live(row) ? this.toVersioned<T>(row) : null;
  }

  async create<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.live(this.row(ns, key))) return false;
        this.sql.upsert.run(ns, key, JSON.stringify(value), 1, this.expiry(ttlMs));
        return true;
      })
      .immediate();
  }

  async put<T>(ns: string, key: string, value: T, ttlMs?: number): Promise<number> {
    return this.db
      .transaction(() => {
        const row = this.row(ns, key);
        const version = this.live(row) ? row.version + 1 : 1;
        this.sql.upsert.run(ns, key, JSON.stringify(value), version, this.expiry(ttlMs));
        return version;
      })
      .immediate();
  }

  async compareAndSet<T>(
    ns: string,
    key: string,
    expectedVersion: number,
    value: T,
    ttlMs?: number,
    audit?: AuditEntry,
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.row(ns, key);
        if (!this.live(row) || row.version !== expectedVersion) return false;
        this.sql.update.run(JSON.stringify(value), expectedVersion + 1, this.expiry(ttlMs), ns, key);
        if (audit) this.sql.appendAudit.run(audit.at, audit.site, JSON.stringify(audit));
        return true;
      })
      .immediate();
  }

  async delete(ns: string, key: string, expectedVersion?: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.row(ns, key);
        if (!this.live(row)) return false;
        if (expectedVersion !== undefined && row.version !== expectedVersion) return false;
        this.sql.delete.run(ns, key);
        return true;
      })
      .immediate();
  }

  async list<T>(ns: string): Promise<Array<{ key: string } & Versioned<T>>> {
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
    this.db.close();
  }
}
