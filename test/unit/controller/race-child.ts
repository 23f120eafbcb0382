/**
 * One controller process for the two-process race test: its own SQLite store handle on the shared file,
 * route tables in a second shared SQLite file (standing in for EC2: every ReplaceRoute is logged there).
 * Waits for the start time in argv, evaluates dc1 once, prints the outcome as JSON.
 */
import Database from 'better-sqlite3';
import { ok } from '../../../src/domain/outcome.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { RouteTables } from '../../../src/ports/route-tables.js';
import { FailoverController } from '../../../src/services/failover-controller.js';
import { MemoryTasks, testTopology } from './fakes.js';

const [storePath, routesPath, startAt] = process.argv.slice(2) as [string, string, string];
const topology = testTopology({ mode: 'auto' });
const clock = { now: () => Date.now() };
const store = new SqliteStore({ path: storePath, clock });
const db = new Database(routesPath);
db.pragma('busy_timeout = 5000');
const routeTables: RouteTables = {
  async observe(sites) {
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
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const out = await controller.evaluate('dc1', { kind: 'health-changed', tunnel: 'primary', health: 'down' });
process.stdout.write(`${JSON.stringify({ action: out.decision.action, result: out.result ?? null })}\n`);
await store.close();
db.close();
