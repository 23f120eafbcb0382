import { type SqliteDb, statement } from './sqlite-db.js';

/** Schema migrations, applied in order; user_version records how far a database has come. */
export const MIGRATIONS: string[] = [
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

export interface Row {
  key: string;
  value: string;
  version: number;
  expires_at: number | null;
  token: string | null;
}

/** Every statement the store runs, compiled once (create/put run per SNS message, so per-call prepare cost shows). */
export function prepareStatements(db: SqliteDb) {
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
