import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

/**
 * SQLite through Node's built-in `node:sqlite` (Node 24): no native addon to build or download, so `npm ci`
 * compiles nothing and every image copies no `.node` file. Used by the embedded store and by the tests and
 * lab helpers that read its file.
 */
export type SqliteDb = DatabaseSync;

export interface OpenSqliteOptions {
  readOnly?: boolean;
  /** How long a statement waits for another process's write lock before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number;
}

export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDb {
  if (path !== ':memory:' && !options.readOnly) mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  return db;
}

/** A prepared statement with its parameter and row types (node:sqlite returns untyped records). */
export interface Statement<P extends SQLInputValue[], R> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): void;
}

export function statement<P extends SQLInputValue[], R = never>(db: SqliteDb, sql: string): Statement<P, R> {
  const s = db.prepare(sql);
  return {
    get: (...params) => s.get(...params) as R | undefined,
    all: (...params) => s.all(...params) as R[],
    run: (...params) => {
      s.run(...params);
    },
  };
}

/**
 * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken before the first read, so a
 * read-check-write from two processes cannot interleave. Any throw rolls back.
 */
export function immediate<T>(db: SqliteDb, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
