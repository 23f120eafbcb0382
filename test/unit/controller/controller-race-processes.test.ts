import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { testTopology } from './fakes.js';

function runChild(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/unit/controller/race-child.ts', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('two controller processes on one SQLite store', () => {
  it('racing on the same outage, they change the routes exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-race2-'));
    try {
      const storePath = join(dir, 'state.sqlite');
      const routesPath = join(dir, 'routes.sqlite');
      const routes = new Database(routesPath);
      routes.exec(
        'CREATE TABLE routes (rtb TEXT, cidr TEXT, tunnel TEXT); CREATE TABLE replaces (pid INTEGER, rtb TEXT, cidr TEXT, tunnel TEXT);',
      );
      const site = testTopology().sites[0]!;
      for (const rtb of site.routeTableIds)
        for (const cidr of site.onPremCidrs)
          routes.prepare('INSERT INTO routes VALUES (?, ?, ?)').run(rtb, cidr, 'primary');
      const store = new SqliteStore({ path: storePath });
      // The outage both controllers see: the active's monitor says down, the standby's says up.
      const at = Date.now() + 30_000; // fresh for the whole test
      await putHeartbeat(store, heartbeat('primary', 'down', at));
      await putHeartbeat(store, heartbeat('secondary', 'up', at));

      const startAt = String(Date.now() + 2500); // both start evaluating at the same moment, after tsx has loaded
      const results = await Promise.all([
        runChild([storePath, routesPath, startAt]),
        runChild([storePath, routesPath, startAt]),
      ]);
      for (const r of results) expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      const outcomes = results.map(
        (r) => JSON.parse(r.out) as { action: string; result: { ok: boolean; refused?: boolean } },
      );
      expect(outcomes.map((o) => o.action)).toEqual(['failover', 'failover']); // both decided to act...
      expect(outcomes.filter((o) => o.result.ok)).toHaveLength(1); // ...one did
      expect(outcomes.filter((o) => !o.result.ok && o.result.refused)).toHaveLength(1);

      const replaces = routes.prepare('SELECT pid, tunnel FROM replaces').all() as Array<{
        pid: number;
        tunnel: string;
      }>;
      expect(replaces).toHaveLength(4);
      expect(new Set(replaces.map((r) => r.pid)).size).toBe(1);
      expect(new Set(replaces.map((r) => r.tunnel))).toEqual(new Set(['secondary']));
      const audit = await store.listAudit({ site: 'dc1' });
      expect(audit.filter((e) => e.event === 'succeeded')).toHaveLength(1);
      await store.close();
      routes.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
