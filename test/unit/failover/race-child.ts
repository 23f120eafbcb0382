/**
 * One controller process for the two-process race test: its own SQLite store handle on the shared file,
 * route tables in a second shared SQLite file (standing in for EC2: every ReplaceRoute is logged there).
 * Evaluates dc1 once and prints the outcome as JSON (last stdout line). The test orders the two processes
 * with files, never with clocks:
 * - RACE_BARRIER_DIR: on its first route read, the child leaves a file there and waits until both children
 *   have (both decide on the same routes before either acts);
 * - RACE_HOLD_FILE: after its first ReplaceRoute the child prints "moved-one" and waits until that file exists.
 * - RACE_STALL=1: its first ReplaceRoute lands and it prints "moved-one"; every other one hangs before landing
 *   (a run caught half-way, for the test to kill);
 * - RACE_LIVENESS=1: it holds a liveness listener on 127.0.0.1, prints "liveness <address JSON>" and puts the
 *   address on its leases, as the fast path in a monitor does.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../../src/local/sqlite-db.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { startLivenessListener, tcpLiveness } from '../../../src/net/tcp-liveness.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { heartbeatFailoverExecutor } from '../../../src/services/failover/heartbeat-target-check.js';
import { MemoryTasks, testTopology } from './fakes.js';
import { sqliteRouteTables } from './sqlite-route-tables.js';

const [storePath, routesPath] = process.argv.slice(2) as [string, string];
const barrierDir = process.env.RACE_BARRIER_DIR;
const holdFile = process.env.RACE_HOLD_FILE;
const stall = process.env.RACE_STALL === '1';
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};
let reads = 0;
let replaced = 0;
const topology = testTopology({ mode: 'auto' });
const clock = { now: () => Date.now() };
const store = new SqliteStore({ path: storePath, clock });
const db = openSqlite(routesPath, { busyTimeoutMs: 5000 });
const routeTables = sqliteRouteTables(db, {
  async beforeObserve() {
    if (barrierDir && reads++ === 0) {
      writeFileSync(join(barrierDir, String(process.pid)), '');
      await until(() => readdirSync(barrierDir).length >= 2);
    }
  },
  async beforeReplace() {
    // Long enough that both processes decide before either finishes (the routes now move 4 at a time).
    await new Promise((r) => setTimeout(r, 50));
    if (stall && replaced++ > 0) await new Promise(() => undefined);
  },
  async afterReplace() {
    if (stall) process.stdout.write('moved-one\n');
    if (holdFile && replaced++ === 0) {
      process.stdout.write('moved-one\n');
      await until(() => existsSync(holdFile));
    }
  },
});
const listener =
  process.env.RACE_LIVENESS === '1'
    ? await startLivenessListener({
        bindHost: '127.0.0.1',
        port: 0,
        advertise: '127.0.0.1',
        instance: `race-child:${process.pid}`,
      })
    : undefined;
if (listener) process.stdout.write(`liveness ${JSON.stringify(listener.address)}\n`);
const controller = new FailoverController({
  topology,
  account: { routeTables, tasks: new MemoryTasks() },
  store,
  clock,
  log: silentLogger(),
  ...(listener
    ? {
        executor: heartbeatFailoverExecutor({
          store,
          routeTables,
          clock,
          log: silentLogger(),
          holderAt: listener.address,
          liveness: tcpLiveness(),
        }),
      }
    : {}),
});
const out = await controller.evaluate('dc1', { kind: 'health-changed', tunnel: 'primary', health: 'down' });
process.stdout.write(`${JSON.stringify({ action: out.decision.action, result: out.result ?? null })}\n`);
await store.close();
await listener?.close();
db.close();
