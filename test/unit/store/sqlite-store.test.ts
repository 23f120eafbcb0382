import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AUDIT_RETENTION_MS } from '../../../src/domain/audit.js';
import { openSqlite } from '../../../src/local/sqlite-db.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-store-'));
  const path = join(dir, 'tunnelops.sqlite');
  const clock = new ManualClock();
  let current: Store = new SqliteStore({ path, clock });
  return {
    store: current,
    clock,
    // A new connection to the same file, as after a restart of the app.
    async reopen() {
      await current.close();
      current = new SqliteStore({ path, clock });
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore retention', () => {
  it('purges expired records and audit entries past the retention, at open and on demand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-purge-'));
    const path = join(dir, 'tunnelops.sqlite');
    const clock = new ManualClock();
    const store = new SqliteStore({ path, clock });
    const rows = (sql: string): number => {
      const db = openSqlite(path, { readOnly: true });
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      await store.create('lock', 'site:dc1', { owner: 'a' }, 1000);
      await store.put('approval', 'fo-1', { state: 'expired' }, 60_000);
      await store.create('approval', 'fo-2', { state: 'pending' });
      const old = new Date(clock.now() - AUDIT_RETENTION_MS - 1000).toISOString();
      await store.appendAudit({ at: old, site: 'dc1', action: 'failover', actor: 'U1', event: 'succeeded' });
      await store.appendAudit({
        at: new Date(clock.now()).toISOString(),
        site: 'dc1',
        action: 'failover',
        actor: 'U1',
        event: 'started',
      });
      clock.advance(2000);
      store.purgeExpired();
      // The lock expired: gone from the file, not only hidden on read. The rest stays.
      expect(rows('SELECT COUNT(*) AS n FROM records')).toBe(2);
      expect(rows('SELECT COUNT(*) AS n FROM audit')).toBe(1);
      expect((await store.listAudit()).map((e) => e.event)).toEqual(['started']);
      clock.advance(60_000);
      await store.close();
      // A restart purges too.
      await new SqliteStore({ path, clock }).close();
      expect(rows('SELECT COUNT(*) AS n FROM records')).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
