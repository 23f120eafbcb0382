/**
 * One controller process for the two-process race test: its own SQLite store handle on the shared file,
 * route tables in a second shared SQLite file (standing in for EC2: every ReplaceRoute is logged there).
 * Evaluates dc1 once and prints the outcome as JSON (last stdout line). The test orders the two processes
 * with files, never with clocks:
 * - RACE_BARRIER_DIR: on its first route read, the child leaves a file there and waits until both children
 *   have (both decide on the same routes before either acts);
 * - RACE_HOLD_FILE: after its first ReplaceRoute the child prints "moved-one" and waits until that file exists.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ok } from '../../../src/domain/outcome.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { RouteTables } from '../../../src/ports/route-tables.js';
import { FailoverController } from '../../../src/services/failover-controller.js';
import { MemoryTasks, testTopology } from './fakes.js';

const [storePath, routesPath] = process.argv.slice(2) as [string, string];
const barrierDir = process.env.RACE_BARRIER_DIR;
const holdFile = process.env.RACE_HOLD_FILE;
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};
let reads = 0;
let replaced = 0;
const topology = testTopology({ mode: 'auto' });
const clock = { now: () => Date.now() };
const store = new SqliteStore({ path: storePath, clock });
const db = new Database(routesPath);
db.pragma('busy_timeout = 5000');
const routeTables: RouteTables = {
  async observe(sites) {
    if (barrierDir && reads++ === 0) {
      writeFileSync(join(barrierDir, String(process.pid)), '');
      await until(() => readdirSync(barrierDir).length >= 2);
    }
    const rows = db.prepare('SELECT rtb, cidr, tunnel FROM routes').all() as Array<{
      rtb: string;
      cidr: string;
      tunnel: string;
    }>;
    return new Map(
      sites.map((s) => [
        s.name,
        ok(
          rows.map((r) => ({
            routeTableId: r.rtb,
            cidr: r.cidr,
            tunnel: r.tunnel,
            target: r.tunnel,
            blackhole: false,
            missing: false,
          })),
        ),
      ]),
    );
  },
  async replace(_site, rtb, cidr, tunnel) {
    // Long enough that both processes decide before either finishes (the routes now move 4 at a time).
    await new Promise((r) => setTimeout(r, 50));
    db.prepare('UPDATE routes SET tunnel = ? WHERE rtb = ? AND cidr = ?').run(tunnel, rtb, cidr);
    db.prepare('INSERT INTO replaces (pid, rtb, cidr, tunnel) VALUES (?, ?, ?, ?)').run(
      process.pid,
      rtb,
      cidr,
      tunnel,
    );
    if (holdFile && replaced++ === 0) {
      process.stdout.write('moved-one\n');
      await until(() => existsSync(holdFile));
    }
  },
  async create() {
    throw new Error('every route exists in these tests');
  },
};
const controller = new FailoverController({
  topology,
  account: { routeTables, tasks: new MemoryTasks() },
  store,
  clock,
  log: silentLogger(),
});
const out = await controller.evaluate('dc1', { kind: 'health-changed', tunnel: 'primary', health: 'down' });
process.stdout.write(`${JSON.stringify({ action: out.decision.action, result: out.result ?? null })}\n`);
await store.close();
db.close();
