import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Site } from '../../../src/config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../../src/domain/heartbeat.js';
import type { CertId } from '../../../src/domain/rotation-plan.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { PublishedServerCerts } from '../../../src/ports/server-certs.js';
import type { Store } from '../../../src/ports/store.js';
import type { DeploymentProgress, TaskRuntime } from '../../../src/ports/tasks.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import { heartbeatTargetCheck } from '../../../src/services/failover/heartbeat-target-check.js';
import { RedeployExecutor } from '../../../src/services/redeploy/redeploy-executor.js';
import { RotationExecutor } from '../../../src/services/rotation/rotation-executor.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CountingRouteTables, site } from '../execution/fixtures.js';

const cert = (serial: string): CertId => ({ serial, notAfter: '2027-06-01T00:00:00.000Z' });
const OLD = { primary: cert('0A01'), secondary: cert('0A02') };
const NEW = { primary: cert('0B01'), secondary: cert('0B02') };

/**
 * The site's two servers as ECS runs them: a redeploy restarts a server, which loads the certificate published
 * for it (or, with `missesPublished`, the one it had: the host never got the new files); each live server's
 * monitor keeps a fresh heartbeat in the store saying up and which certificate it loaded.
 */
class Servers implements TaskRuntime, PublishedServerCerts {
  readonly running = new Map<string, CertId>(Object.entries(OLD));
  staged = new Map<string, CertId>(Object.entries(NEW));
  readonly redeployed: string[] = [];
  /** What the routes looked like when each redeploy started ("tunnel: routes on it"). */
  readonly routesAtRedeploy: string[] = [];
  missesPublished = new Set<string>();
  failsRedeploy = new Set<string>();
  constructor(
    private readonly store: Store,
    private readonly clock: ManualClock,
    private readonly routes: CountingRouteTables,
  ) {}
  async observe() {
    return new Map();
  }
  async redeploy(_s: Site, tunnel: string): Promise<string> {
    if (this.failsRedeploy.has(tunnel)) throw new Error('ECS said no');
    this.redeployed.push(tunnel);
    this.routesAtRedeploy.push(`${tunnel}: ${this.routes.tunnels().filter((t) => t === tunnel).length}`);
    if (!this.missesPublished.has(tunnel)) this.running.set(tunnel, this.staged.get(tunnel)!);
    return `ecs-svc/${tunnel}`;
  }
  async deploymentProgress(): Promise<DeploymentProgress> {
    return { state: 'completed', detail: '1/1 running' };
  }
  async published(_s: Site, tunnel: string): Promise<CertId | null> {
    return this.staged.get(tunnel) ?? null;
  }
  async beat(): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    for (const [tunnel, serverCert] of this.running) {
      const beat: Heartbeat = {
        site: site.name,
        tunnel,
        health: 'up',
        since: at,
        at,
        lossPct: 0,
        latencyMs: 3,
        fallCount: 0,
        riseCount: 5,
        serverCert,
      };
      await this.store.put(HEARTBEAT_NS, heartbeatKey(site.name, tunnel), beat, 60_000);
    }
  }
}

describe('RotationExecutor: standby first, through the one redeploy and the one failover', () => {
  let clock: ManualClock;
  let store: Store;
  let routes: CountingRouteTables;
  let servers: Servers;
  let progress: string[];
  let rotation: RotationExecutor;

  beforeEach(async () => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    routes = new CountingRouteTables('primary');
    servers = new Servers(store, clock, routes);
    progress = [];
    const log = silentLogger();
    // Every wait moves the clock; the live servers' monitors beat meanwhile.
    const sleep = async (ms: number) => {
      clock.advance(ms);
      await servers.beat();
    };
    const checkTarget = heartbeatTargetCheck({ store, clock });
    const common = { store, clock, log, routeTables: routes };
    rotation = new RotationExecutor({
      ...common,
      certs: servers,
      failover: new FailoverExecutor({ ...common, checkTarget, progressSettleMs: 0 }),
      redeploy: new RedeployExecutor({ ...common, tasks: servers, pollMs: 1000, sleep }),
      checkTarget,
      healthyTimeoutMs: 30_000,
      pollMs: 1000,
      sleep,
    });
    await servers.beat();
  });

  const run = () =>
    rotation.execute({
      site,
      actor: 'UAPPROVER',
      requestId: 'ro-test01',
      onProgress: (l) => void progress.push(l),
    });
  const events = async (action: string) =>
    (await store.listAudit({ site: site.name, limit: 100 }))
      .filter((a) => a.action === action && a.requestId === 'ro-test01')
      .map((a) => a.event);

  it('restarts the standby, fails over onto it, then restarts the other: never a server that carries traffic', async () => {
    const res = await run();
    expect(res).toMatchObject({ ok: true, rotated: ['secondary', 'primary'] });
    expect(servers.redeployed).toEqual(['secondary', 'primary']);
    expect(servers.routesAtRedeploy).toEqual(['secondary: 0', 'primary: 0']);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
    expect(servers.running.get('primary')).toEqual(NEW.primary);
    expect(servers.running.get('secondary')).toEqual(NEW.secondary);
    expect((await events('rotate')).sort()).toEqual(
      ['started', 'step', 'step', 'step', 'step', 'step', 'succeeded'].sort(),
    );
    expect(await events('redeploy')).toEqual(expect.arrayContaining(['succeeded']));
    expect(await events('failover')).toEqual(expect.arrayContaining(['succeeded']));
    expect(progress.join('\n')).toContain(
      'lab/secondary is healthy on certificate 0B02'.replace('lab', site.name),
    );
  });

  it('refuses when nothing is staged, naming the commands that stage it; nothing restarts', async () => {
    servers.staged = new Map(Object.entries(OLD));
    const res = await run();
    expect(res).toMatchObject({ ok: false, refused: true });
    expect(!res.ok && res.reason).toContain('npm run pki -- renew');
    expect(servers.redeployed).toEqual([]);
    expect(await events('rotate')).toEqual(['refused']);
  });

  it('a standby that comes back on its old certificate stops the run before any failover', async () => {
    servers.missesPublished.add('secondary');
    const res = await run();
    expect(res).toMatchObject({ ok: false, refused: false, rotated: [] });
    const reason = res.ok ? '' : res.reason;
    expect(reason).toContain('secondary did not come up healthy on certificate 0B02');
    expect(reason).toContain(`planned failover of ${site.name} to secondary`);
    expect(reason).toContain(`\`/vpn rotate ${site.name}\` again`);
    expect(routes.tunnels().every((t) => t === 'primary')).toBe(true);
    expect(servers.redeployed).toEqual(['secondary']);
    expect(await events('failover')).toEqual([]);
  });

  it('a failed planned failover leaves traffic on the old tunnel and the active server untouched', async () => {
    routes.failOnCall.add(1);
    const res = await run();
    expect(res).toMatchObject({ ok: false, rotated: ['secondary'] });
    expect(res.ok ? '' : res.reason).toContain('the planned failover to secondary failed');
    expect(routes.tunnels().every((t) => t === 'primary')).toBe(true);
    expect(servers.redeployed).toEqual(['secondary']);
  });

  it('a failed redeploy of the last server leaves traffic on the rotated one and says what is left', async () => {
    servers.failsRedeploy.add('primary');
    const res = await run();
    expect(res).toMatchObject({ ok: false, rotated: ['secondary'] });
    expect(res.ok ? '' : res.left).toContain(`redeploy ${site.name}/primary onto certificate 0B01`);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
  });

  it('run again after a stop, it does only what is left', async () => {
    servers.running.set('secondary', NEW.secondary);
    await servers.beat();
    const res = await run();
    expect(res).toMatchObject({ ok: true, rotated: ['primary'] });
    expect(servers.redeployed).toEqual(['primary']);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
  });
});
