import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { loadTopology } from '../../../src/config/load-topology.js';
import type { Site } from '../../../src/config/topology-schema.js';
import { createSandboxAccount, SANDBOX_DEPLOY_MS } from '../../../src/local/sandbox-account.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/ports/store.js';
import type { DeploymentProgress, TaskRuntime } from '../../../src/ports/tasks.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { RedeployExecutor, type RedeployPlan } from '../../../src/services/redeploy/redeploy-executor.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CountingRouteTables, site } from '../execution/fixtures.js';

/** ECS as a script: each deploymentProgress call returns the next step (the last one repeats). */
class ScriptedTasks implements TaskRuntime {
  readonly redeployed: string[] = [];
  readonly polled: string[] = [];
  constructor(private readonly steps: Array<DeploymentProgress | Error>) {}
  async observe() {
    return new Map();
  }
  async redeploy(s: Site, tunnel: string): Promise<string> {
    this.redeployed.push(`${s.name}/${tunnel}`);
    return 'ecs-svc/0000000000000000042';
  }
  async deploymentProgress(_s: Site, _t: string, id: string): Promise<DeploymentProgress> {
    this.polled.push(id);
    const step = this.steps[Math.min(this.polled.length - 1, this.steps.length - 1)]!;
    if (step instanceof Error) throw step;
    return step;
  }
}

const rolling = (detail: string): DeploymentProgress => ({ state: 'in-progress', detail });

describe('RedeployExecutor', () => {
  let clock: ManualClock;
  let store: Store;
  let routes: CountingRouteTables;
  let progress: string[];
  let sleeps: number[];

  const executor = (
    tasks: TaskRuntime,
    over: { timeoutMs?: number; routeTables?: CountingRouteTables } = {},
  ) =>
    new RedeployExecutor({
      store,
      tasks,
      routeTables: over.routeTables ?? routes,
      clock,
      log: silentLogger(),
      pollMs: 5_000,
      timeoutMs: over.timeoutMs ?? 60_000,
      // The sleep moves the manual clock, which also runs the lease keeper's timer: polling, renewing and the
      // timeout run without real waiting.
      every: clock.every,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    });
  const plan = (over: Partial<RedeployPlan> = {}): RedeployPlan => ({
    site,
    tunnel: 'secondary',
    actor: 'UAPPROVER2',
    requestId: 'req-9',
    force: false,
    onProgress: (m) => {
      progress.push(m);
    },
    ...over,
  });

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    routes = new CountingRouteTables('primary');
    progress = [];
    sleeps = [];
  });

  afterEach(async () => {
    await store.close();
  });

  it('refuses the active tunnel without --force and says to fail over first', async () => {
    const tasks = new ScriptedTasks([{ state: 'completed', detail: 'done' }]);
    const result = await executor(tasks).execute(plan({ tunnel: 'primary' }));
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'carrying-traffic' });
    if (!result.ok)
      expect(result.reason).toMatch(/primary is active on 4 route\(s\) of dc1: fail over first/);
    expect(tasks.redeployed).toEqual([]);
    expect((await store.listAudit()).map((e) => `${e.action}:${e.event}`)).toEqual(['redeploy:refused']);
  });

  it('refuses an unknown tunnel, naming the tunnels the site has (the one wording, as the failover executor)', async () => {
    const tasks = new ScriptedTasks([{ state: 'completed', detail: 'done' }]);
    const result = await executor(tasks).execute(plan({ tunnel: 'tertiary', force: true }));
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'unknown-tunnel' });
    if (!result.ok) expect(result.reason).toBe('tertiary is not a tunnel of dc1 (primary, secondary)');
    expect(tasks.redeployed).toEqual([]);
  });

  it('refuses a tunnel that carries even one route of a mixed site', async () => {
    routes.set('rtb-0a1b2c3d4e5f60719', '10.21.0.0/16', 'secondary');
    const tasks = new ScriptedTasks([{ state: 'completed', detail: 'done' }]);
    const result = await executor(tasks).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'carrying-traffic' });
    expect(tasks.redeployed).toEqual([]);
  });

  it('redeploys the active tunnel with --force', async () => {
    const tasks = new ScriptedTasks([{ state: 'completed', detail: '1/1 running' }]);
    const result = await executor(tasks).execute(plan({ tunnel: 'primary', force: true }));
    expect(result).toMatchObject({ ok: true, deploymentId: 'ecs-svc/0000000000000000042' });
    expect(tasks.redeployed).toEqual(['dc1/primary']);
  });

  it('follows the deployment to completion with progress and an audit trail, then frees the site', async () => {
    const tasks = new ScriptedTasks([
      rolling('new task pending (0/1 running)'),
      rolling('new task pending (0/1 running)'),
      rolling('new task running, draining the old one'),
      { state: 'completed', detail: '1/1 tasks of the new deployment running' },
    ]);
    const result = await executor(tasks).execute(plan());
    expect(result).toEqual({ ok: true, deploymentId: 'ecs-svc/0000000000000000042', durationMs: 20_000 });
    expect(tasks.redeployed).toEqual(['dc1/secondary']);
    expect(sleeps).toEqual([5_000, 5_000, 5_000, 5_000]);
    expect(progress).toEqual([
      'Redeploying dc1/secondary: deployment ecs-svc/0000000000000000042 started',
      'dc1/secondary: new task pending (0/1 running)',
      'dc1/secondary: new task running, draining the old one',
      'Redeploy of dc1/secondary done in 20 s',
    ]);
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual(['started', 'deployment-started', 'succeeded']);
    for (const e of audit)
      expect(e).toMatchObject({ action: 'redeploy', requestId: 'req-9', actor: 'UAPPROVER2' });
    expect(audit[2]?.detail).toMatchObject({ tunnel: 'secondary', durationMs: 20_000 });
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  it('holds the site lock while the deployment runs', async () => {
    const lock = new SiteLock({ store, clock });
    const holders: Array<string | undefined> = [];
    const tasks = new ScriptedTasks([rolling('a'), rolling('b'), { state: 'completed', detail: 'c' }]);
    const poll = tasks.deploymentProgress.bind(tasks);
    tasks.deploymentProgress = async (...args) => {
      holders.push((await lock.holder('dc1'))?.purpose);
      return poll(...args);
    };
    await executor(tasks).execute(plan());
    expect(holders).toEqual(['redeploy secondary', 'redeploy secondary', 'redeploy secondary']);
  });

  it('keeps the site lock through a deployment that outlasts the lock’s TTL', async () => {
    const lock = new SiteLock({ store, clock });
    const holders: Array<string | undefined> = [];
    // 30 polls of 5 s: 150 s, against a 60 s lease.
    const tasks = new ScriptedTasks([
      ...Array.from({ length: 29 }, (_, i) => rolling(`step ${i}`)),
      { state: 'completed', detail: 'done' },
    ]);
    const poll = tasks.deploymentProgress.bind(tasks);
    tasks.deploymentProgress = async (...args) => {
      holders.push((await lock.holder('dc1'))?.purpose);
      return poll(...args);
    };
    const result = await executor(tasks, { timeoutMs: 600_000 }).execute(plan());
    expect(result).toMatchObject({ ok: true, durationMs: 150_000 });
    expect(holders).toEqual(Array.from({ length: 30 }, () => 'redeploy secondary'));
    expect(await lock.holder('dc1')).toBeNull();
  });

  it('reports a failed deployment', async () => {
    const tasks = new ScriptedTasks([
      rolling('starting'),
      { state: 'failed', detail: 'deployment rolled back by the circuit breaker' },
    ]);
    const result = await executor(tasks).execute(plan());
    expect(result).toMatchObject({
      ok: false,
      refused: false,
      reason: 'deployment rolled back by the circuit breaker',
    });
    expect((await store.listAudit()).map((e) => e.event)).toEqual([
      'started',
      'deployment-started',
      'failed',
    ]);
    expect(progress.at(-1)).toMatch(/Redeploy of dc1\/secondary failed: deployment rolled back/);
  });

  it('gives up after the timeout and says so', async () => {
    const tasks = new ScriptedTasks([rolling('new task pending (0/1 running)')]);
    const result = await executor(tasks, { timeoutMs: 30_000 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, durationMs: 30_000 });
    if (!result.ok) expect(result.reason).toBe('timed out after 30 s (new task pending (0/1 running))');
    expect(tasks.polled).toHaveLength(6);
    expect((await store.listAudit()).at(-1)).toMatchObject({
      event: 'failed',
      detail: { reason: expect.stringMatching(/timed out/) },
    });
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  it('rides out a transient progress error but not a persistent one', async () => {
    const blip = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const ok = await executor(
      new ScriptedTasks([blip, rolling('x'), { state: 'completed', detail: 'y' }]),
    ).execute(plan());
    expect(ok).toMatchObject({ ok: true });
    const down = await executor(new ScriptedTasks([blip])).execute(plan());
    expect(down).toMatchObject({ ok: false, refused: false });
    if (!down.ok) expect(down.reason).toMatch(/cannot follow the deployment: .*throttled/);
  });

  it('refuses while the site is locked, and when the routes cannot be read without --force', async () => {
    const lock = new SiteLock({ store, clock });
    await lock.acquire('dc1', 'failover:U1:x', 60_000, 'failover to secondary');
    const tasks = new ScriptedTasks([{ state: 'completed', detail: 'done' }]);
    const locked = await executor(tasks).execute(plan());
    expect(locked).toMatchObject({ ok: false, refused: true, refusal: 'locked' });
    if (!locked.ok) expect(locked.reason).toMatch(/locked by failover:U1:x for failover to secondary/);

    clock.advance(60_000);
    routes.observeFails = true;
    const blind = await executor(tasks).execute(plan());
    expect(blind).toMatchObject({ ok: false, refused: true, refusal: 'routes-unreadable' });
    if (!blind.ok)
      expect(blind.reason).toMatch(/cannot tell whether secondary carries traffic .*use --force/);
    expect(tasks.redeployed).toEqual([]);
  });

  it('redeploys a sandbox tunnel until the simulated deployment is stable', async () => {
    const topology = await loadTopology('tunnels.yml');
    const account = createSandboxAccount({ topology, clock });
    const exec = new RedeployExecutor({
      store,
      tasks: account.tasks,
      routeTables: account.routeTables,
      clock,
      log: silentLogger(),
      pollMs: 1_000,
      sleep: async (ms) => clock.advance(ms),
    });
    const result = await exec.execute(plan({ site: topology.sites[0]! }));
    expect(result).toMatchObject({ ok: true, durationMs: SANDBOX_DEPLOY_MS });
    const refused = await exec.execute(plan({ site: topology.sites[0]!, tunnel: 'primary' }));
    expect(refused).toMatchObject({ ok: false, refused: true });
  });
});
