import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { openSqlite } from '../../../src/local/sqlite-db.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { tcpLiveness } from '../../../src/net/tcp-liveness.js';
import { systemClock } from '../../../src/ports/clock.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { MemoryTasks, testTopology } from './fakes.js';
import { sqliteRouteTables } from './sqlite-route-tables.js';

interface ChildOutcome {
  action: string;
  result: { ok: boolean; refused?: boolean } | null;
}

interface Child {
  proc: ChildProcess;
  /** Resolves once the child printed this line. */
  said(line: string): Promise<void>;
  done: Promise<ChildOutcome>;
}

/** A controller process (race-child.ts) on the shared store and route files; ordered by files, not clocks. */
function startChild(paths: Paths, env: Record<string, string> = {}): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/unit/failover/race-child.ts', paths.store, paths.routes],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let out = '';
  let err = '';
  const waiting: Array<{ line: string; resolve: () => void }> = [];
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiting) if (out.split('\n').includes(w.line)) w.resolve();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<ChildOutcome>((resolve, reject) =>
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || err) reject(new Error(`race child exited ${code}: ${err || out}`));
      else resolve(JSON.parse(last) as ChildOutcome);
    }),
  );
  return {
    proc,
    done,
    said: (line) =>
      new Promise<void>((resolve, reject) => {
        if (out.split('\n').includes(line)) return resolve();
        waiting.push({ line, resolve });
        done.then(() => reject(new Error(`child ended without saying ${line}`)), reject);
      }),
  };
}

interface Paths {
  dir: string;
  store: string;
  routes: string;
}

let paths: Paths;
const children: ChildProcess[] = [];

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-race2-'));
  paths = { dir, store: join(dir, 'state.sqlite'), routes: join(dir, 'routes.sqlite') };
  const routes = openSqlite(paths.routes);
  routes.exec(
    'CREATE TABLE routes (rtb TEXT, cidr TEXT, tunnel TEXT); CREATE TABLE replaces (pid INTEGER, rtb TEXT, cidr TEXT, tunnel TEXT);',
  );
  const site = testTopology().sites[0]!;
  for (const rtb of site.routeTableIds)
    for (const cidr of site.onPremCidrs)
      routes.prepare('INSERT INTO routes VALUES (?, ?, ?)').run(rtb, cidr, 'primary');
  routes.close();
  // The outage both controllers see: the active's monitor says down, the standby's says up.
  const store = new SqliteStore({ path: paths.store });
  const at = Date.now() + 600_000; // fresh for the whole test, however slow the machine
  await putHeartbeat(store, heartbeat('primary', 'down', at));
  await putHeartbeat(store, heartbeat('secondary', 'up', at));
  await store.close();
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(paths.dir, { recursive: true, force: true });
});

const start = (env: Record<string, string> = {}): Child => {
  const c = startChild(paths, env);
  children.push(c.proc);
  return c;
};

/** Whatever the order: the routes moved once (4 ReplaceRoute calls, one process, all to secondary), one audited success. */
async function expectRoutesMovedOnce(outcomes: ChildOutcome[]): Promise<void> {
  const routes = openSqlite(paths.routes, { readOnly: true });
  const replaces = routes.prepare('SELECT pid, tunnel FROM replaces').all() as Array<{
    pid: number;
    tunnel: string;
  }>;
  const now = routes.prepare('SELECT DISTINCT tunnel FROM routes').all() as Array<{ tunnel: string }>;
  routes.close();
  expect(replaces).toHaveLength(4);
  expect(new Set(replaces.map((r) => r.pid)).size).toBe(1);
  expect(new Set(replaces.map((r) => r.tunnel))).toEqual(new Set(['secondary']));
  expect(now).toEqual([{ tunnel: 'secondary' }]);
  expect(outcomes.filter((o) => o.result?.ok)).toHaveLength(1);
  const store = new SqliteStore({ path: paths.store });
  const audit = await store.listAudit({ site: 'dc1' });
  await store.close();
  expect(audit.filter((e) => e.event === 'succeeded')).toHaveLength(1);
}

/** The one that did not move the routes: refused after deciding, or it found them moved and did not decide to. */
function expectStoodDown(o: ChildOutcome): void {
  if (o.action === 'failover') expect(o.result).toMatchObject({ ok: false, refused: true });
  else expect(o.result).toBeNull();
}

describe('two controller processes on one SQLite store, in every start order', () => {
  it('both decide on the same routes: one moves them, the other is refused', async () => {
    const barrier = join(paths.dir, 'barrier');
    mkdirSync(barrier);
    const outcomes = await Promise.all([
      start({ RACE_BARRIER_DIR: barrier }).done,
      start({ RACE_BARRIER_DIR: barrier }).done,
    ]);
    expect(outcomes.map((o) => o.action)).toEqual(['failover', 'failover']);
    expect(outcomes.filter((o) => o.result?.ok === false && o.result.refused)).toHaveLength(1);
    await expectRoutesMovedOnce(outcomes);
  }, 60_000);

  it('one after the other: the late one finds the routes already moved', async () => {
    const first = await start().done;
    const late = await start().done;
    expect(first).toMatchObject({ action: 'failover', result: { ok: true } });
    expectStoodDown(late);
    await expectRoutesMovedOnce([first, late]);
  }, 60_000);

  it('the second starts while the first is moving the routes: it does not move them again', async () => {
    const hold = join(paths.dir, 'hold');
    const first = start({ RACE_HOLD_FILE: hold });
    await first.said('moved-one'); // one of four routes moved, the site lease held
    const second = await start().done;
    writeFileSync(hold, '');
    const outcome = await first.done;
    expect(outcome).toMatchObject({ action: 'failover', result: { ok: true } });
    expectStoodDown(second);
    await expectRoutesMovedOnce([outcome, second]);
  }, 60_000);

  it('started together with no ordering at all: still exactly once', async () => {
    const outcomes = await Promise.all([start().done, start().done]);
    const mover = outcomes.findIndex((o) => o.result?.ok);
    expect(mover).toBeGreaterThanOrEqual(0);
    expectStoodDown(outcomes[1 - mover]!);
    await expectRoutesMovedOnce(outcomes);
  }, 60_000);
});

describe('the deciding process is killed half-way (SIGKILL, its host alive)', () => {
  it("a follower with the liveness client breaks the dead run's lease and finishes it at once, not after the lease", async () => {
    const decider = start({ RACE_STALL: '1', RACE_LIVENESS: '1' });
    await decider.said('moved-one'); // 1 of 4 routes moved; the rest hang; the 10 s site lease is held
    const store = new SqliteStore({ path: paths.store });
    const db = openSqlite(paths.routes, { busyTimeoutMs: 5000 });
    const routeTables = sqliteRouteTables(db);
    const tunnels = async () =>
      (db.prepare('SELECT tunnel FROM routes').all() as Array<{ tunnel: string }>).map((r) => r.tunnel);
    try {
      const follower = new FailoverController({
        topology: testTopology({ mode: 'auto' }),
        account: { routeTables, tasks: new MemoryTasks() },
        store,
        clock: systemClock,
        log: silentLogger(),
        actor: 'controller@follower',
        liveness: tcpLiveness(),
      });
      const first = await follower.evaluate('dc1', { kind: 'reconcile' });
      expect(first.decision.code).toBe('run-in-progress');
      expect((await tunnels()).filter((t) => t === 'secondary')).toHaveLength(1);

      const killedAt = Date.now();
      decider.proc.kill('SIGKILL');
      expect(await waitUntil(async () => (await tunnels()).every((t) => t === 'secondary'), 8000)).toBe(true);
      const tookMs = Date.now() - killedAt;
      // The lease had ~10 s left: only its holder's death, heard over the liveness channel, explains this.
      expect(tookMs).toBeLessThan(2000);

      const audit = await store.listAudit({ site: 'dc1' });
      const dead = audit.find((e) => e.event === 'started' && e.actor === 'controller');
      const resumed = audit.find((e) => e.event === 'started' && e.actor === 'controller@follower');
      expect(resumed?.detail?.resumes).toEqual({ runId: dead?.detail?.runId, actor: 'controller' });
      expect(audit.at(-1)).toMatchObject({ event: 'succeeded', actor: 'controller@follower' });
      const replaces = db.prepare('SELECT pid, tunnel FROM replaces').all() as Array<{
        pid: number;
        tunnel: string;
      }>;
      expect(replaces.filter((r) => r.pid === decider.proc.pid)).toHaveLength(1);
      expect(replaces.filter((r) => r.pid === process.pid)).toHaveLength(3);
      expect(new Set(replaces.map((r) => r.tunnel))).toEqual(new Set(['secondary']));
    } finally {
      await store.close();
      db.close();
    }
  }, 60_000);

  it('without a liveness answer (unknown) the lease is waited out, never broken', async () => {
    const decider = start({ RACE_STALL: '1', RACE_LIVENESS: '1' });
    await decider.said('moved-one');
    const store = new SqliteStore({ path: paths.store });
    try {
      // The holder's host does not answer: a liveness client that can prove nothing.
      const unknown = { check: async () => 'unknown' as const, watch: async () => undefined };
      const lock = new SiteLock({ store, clock: systemClock, liveness: unknown });
      decider.proc.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      expect(await lock.breakIfDead('dc1')).toBe(false);
      expect(await lock.holder('dc1')).toMatchObject({
        owner: expect.stringMatching(/^failover:controller:/),
      });
      // The same dead holder, checked for real: refused, so broken.
      const real = new SiteLock({ store, clock: systemClock, liveness: tcpLiveness() });
      expect(await real.breakIfDead('dc1')).toBe(true);
      expect(await real.holder('dc1')).toBeNull();
    } finally {
      await store.close();
    }
  }, 60_000);
});

async function waitUntil(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
