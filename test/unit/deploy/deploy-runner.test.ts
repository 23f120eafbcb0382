import { describe, expect, it } from '@jest/globals';
import { createSandboxAccount } from '../../../src/local/sandbox-account.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { deployRunnerFor } from '../../../src/services/deploy/deploy-runner.js';
import { StatusService } from '../../../src/services/status/status-service.js';
import { demoTopology } from '../../helpers/test-app.js';

function setup(opts: { standbyBroken?: boolean } = {}) {
  let now = Date.parse('2026-11-25T10:00:00Z');
  const clock = { now: () => now };
  const topology = demoTopology();
  const account = createSandboxAccount({ topology, clock });
  const store = new SqliteStore({ path: ':memory:', clock });
  const log = silentLogger();
  // The test's own view of the routes, apart from the runner's.
  const status = new StatusService({ topology, account, store, clock, log });
  // Let the sandbox accumulate healthy probe history.
  now += 6 * 60_000;
  if (opts.standbyBroken) account.chaos.break('dc1', 'secondary');
  const deployed: string[][] = [];
  const activeWhenDeployed: Array<string | null> = [];
  const runner = deployRunnerFor({
    topology,
    account,
    store,
    clock,
    log,
    actor: 'github:deploy',
    healthTimeoutMs: 60_000,
    pollMs: 10_000,
    sleep: async (ms) => {
      now += ms;
    },
    cdkDeploy: async (stacks) => {
      deployed.push(stacks);
      activeWhenDeployed.push((await status.report(['dc1'])).sites[0]!.activeTunnel);
    },
  });
  return { runner, deployed, activeWhenDeployed, store, status };
}

describe('deploy runner', () => {
  it('deploys the standby, fails over through the audited executor, then deploys the old active', async () => {
    const { runner, deployed, activeWhenDeployed, store, status } = setup();
    await runner.run(['tunnelops-shared', 'tunnelops-dc1-primary', 'tunnelops-dc1-secondary']);
    expect(deployed).toEqual([['tunnelops-shared'], ['tunnelops-dc1-secondary'], ['tunnelops-dc1-primary']]);
    // The primary's stack was deployed only once traffic was on the secondary.
    expect(activeWhenDeployed[2]).toBe('secondary');
    expect((await status.report(['dc1'])).sites[0]!.activeTunnel).toBe('secondary');
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.filter((e) => e.event === 'routes-changed' && e.actor === 'github:deploy')).toHaveLength(4);
  });

  it('stops before touching the active tunnel when the standby never becomes healthy', async () => {
    const { runner, deployed, status } = setup({ standbyBroken: true });
    await expect(runner.run(['tunnelops-dc1-primary', 'tunnelops-dc1-secondary'])).rejects.toThrow(
      'dc1/secondary did not become healthy in time',
    );
    expect(deployed).toEqual([['tunnelops-dc1-secondary']]);
    expect((await status.report(['dc1'])).sites[0]!.activeTunnel).toBe('primary');
  });
});
