import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { EcsTasks, progressOf } from '../../../src/aws/ecs-tasks.js';
import { silentLogger } from '../../../src/log.js';
import { demoSites, fakeClients, jsonFixture, makeSite, nockEcs } from './aws-http.js';

type Body = Record<string, unknown>;
const tasks = () => new EcsTasks({ clients: fakeClients(), log: silentLogger() });
const running = (b: Body) => b.desiredStatus === 'RUNNING';
const stopped = (b: Body) => b.desiredStatus === 'STOPPED';

/** A running task of a service, as DescribeTasks returns it. */
const task = (cluster: string, service: string, n: number, extra: Body = {}) => ({
  clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${cluster}`,
  taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${service}${n}`,
  group: `service:${service}`,
  desiredStatus: 'RUNNING',
  lastStatus: 'RUNNING',
  startedBy: 'ecs-svc/1111',
  createdAt: 1795590000,
  ...extra,
});

describe('EcsTasks.observe', () => {
  it('reads running tasks per cluster, and looks closer only at the service that is not settled', async () => {
    const calls = { list: [] as Body[], describeTasks: [] as Body[], services: [] as Body[] };
    nockEcs('us-east-1', 'ListTasks')(
      200,
      jsonFixture('ecs/list-tasks-running-dc1.json'),
      calls.list,
      running,
    );
    nockEcs('us-east-1', 'DescribeTasks')(
      200,
      jsonFixture('ecs/describe-tasks-running-dc1.json'),
      calls.describeTasks,
    );
    nockEcs('us-east-1', 'DescribeServices')(
      200,
      jsonFixture('ecs/describe-services-dc1-secondary.json'),
      calls.services,
    );
    nockEcs('us-east-1', 'ListTasks')(
      200,
      jsonFixture('ecs/list-tasks-stopped-dc1-secondary.json'),
      calls.list,
      stopped,
    );
    nockEcs('us-east-1', 'DescribeTasks')(
      200,
      jsonFixture('ecs/describe-tasks-stopped-dc1-secondary.json'),
      calls.describeTasks,
    );

    const result = await tasks().observe(demoSites());

    expect(result.get('dc1/primary')).toEqual({
      ok: true,
      value: { desired: 1, running: 1, pending: 0, deploying: false },
    });
    expect(result.get('dc1/secondary')).toEqual({
      ok: true,
      value: {
        desired: 1,
        running: 0,
        pending: 0,
        deploying: false,
        lastStopReason: 'Essential container in task exited',
        lastStoppedAt: new Date(1795593000 * 1000).toISOString(),
      },
    });
    expect(calls.list).toEqual([
      { cluster: 'tunnelops-dc1', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'tunnelops-dc1', serviceName: 'dc1-secondary', desiredStatus: 'STOPPED', maxResults: 100 },
    ]);
    expect(calls.services).toEqual([{ cluster: 'tunnelops-dc1', services: ['dc1-secondary'] }]);
    expect(calls.describeTasks[1]?.tasks).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('accepts a service named by its ARN in the topology', async () => {
    const [dc1] = demoSites();
    const arn = 'arn:aws:ecs:us-east-1:123456789012:service/tunnelops-dc1/dc1-secondary';
    const site = {
      ...dc1!,
      tunnels: [dc1!.tunnels[0]!, { ...dc1!.tunnels[1]!, ecs: { cluster: 'tunnelops-dc1', service: arn } }],
    };
    const lists: Body[] = [];
    const services: Body[] = [];
    nockEcs('us-east-1', 'ListTasks')(200, jsonFixture('ecs/list-tasks-running-dc1.json'), lists, running);
    nockEcs('us-east-1', 'DescribeTasks')(200, jsonFixture('ecs/describe-tasks-running-dc1.json'));
    nockEcs('us-east-1', 'DescribeServices')(
      200,
      jsonFixture('ecs/describe-services-dc1-secondary.json'),
      services,
    );
    nockEcs('us-east-1', 'ListTasks')(200, { taskArns: [] }, lists, stopped);

    const result = await tasks().observe([site]);

    expect(services).toEqual([{ cluster: 'tunnelops-dc1', services: [arn] }]);
    expect(lists[1]).toMatchObject({ serviceName: 'dc1-secondary', desiredStatus: 'STOPPED' });
    expect(result.get('dc1/secondary')).toEqual({
      ok: true,
      value: { desired: 1, running: 0, pending: 0, deploying: false },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes two calls for a whole healthy cluster, however many tunnels it holds', async () => {
    const sites = Array.from({ length: 20 }, (_, i) => makeSite(i + 1, 'eu-west-1', 'shared'));
    const all = sites.flatMap((s) => s.tunnels.map((t, n) => task('shared', t.ecs.service, n)));
    const lists: Body[] = [];
    const describes: Body[] = [];
    nockEcs('eu-west-1', 'ListTasks')(200, { taskArns: all.map((t) => t.taskArn) }, lists);
    nockEcs('eu-west-1', 'DescribeTasks')(200, { tasks: all, failures: [] }, describes);

    const result = await tasks().observe(sites);

    expect(lists).toHaveLength(1);
    expect(describes).toHaveLength(1);
    expect(describes[0]?.tasks).toHaveLength(40);
    expect([...result.values()].every((o) => o.ok && o.value.running === 1 && !o.value.deploying)).toBe(true);
    expect(result.size).toBe(40);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reports a rolling deploy as deploying, and batches DescribeServices 10 at a time', async () => {
    const sites = Array.from({ length: 6 }, (_, i) => makeSite(i + 1, 'eu-west-1', 'shared'));
    // s1-a is mid-deploy: an old and a new task from two deployments; every other service has no task.
    const deploying = [task('shared', 's1-a', 1), task('shared', 's1-a', 2, { startedBy: 'ecs-svc/2222' })];
    const services: Body[] = [];
    nockEcs('eu-west-1', 'ListTasks')(200, { taskArns: deploying.map((t) => t.taskArn) }, [], running);
    nockEcs('eu-west-1', 'DescribeTasks')(200, { tasks: deploying, failures: [] });
    const describe = nockEcs('eu-west-1', 'DescribeServices');
    for (let call = 0; call < 2; call++) {
      describe(
        200,
        {
          services: sites.flatMap((s) =>
            s.tunnels.map((t) => ({
              serviceName: t.ecs.service,
              desiredCount: 1,
              runningCount: t.ecs.service === 's1-a' ? 2 : 0,
              pendingCount: 0,
              deployments:
                t.ecs.service === 's1-a'
                  ? [
                      { id: 'ecs-svc/2222', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
                      { id: 'ecs-svc/1111', status: 'ACTIVE', rolloutState: 'COMPLETED' },
                    ]
                  : [{ id: 'ecs-svc/1111', status: 'PRIMARY', rolloutState: 'COMPLETED' }],
            })),
          ),
          failures: [],
        },
        services,
      );
    }
    nock('https://ecs.eu-west-1.amazonaws.com').post('/', stopped).times(12).reply(200, { taskArns: [] });

    const result = await tasks().observe(sites);

    expect(services.map((b) => (b.services as string[]).length).sort()).toEqual([10, 2]);
    expect(result.get('s1/a')).toEqual({
      ok: true,
      value: { desired: 1, running: 2, pending: 0, deploying: true },
    });
    expect(result.get('s3/b')).toEqual({
      ok: true,
      value: { desired: 1, running: 0, pending: 0, deploying: false },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes only the failing cluster unknown, with a readable reason', async () => {
    const sites = [makeSite(1, 'us-east-1'), makeSite(2, 'eu-west-1')];
    nockEcs('us-east-1', 'ListTasks')(400, {
      __type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::123456789012:assumed-role/tunnelops is not authorized to perform: ecs:ListTasks',
    });
    const ok = ['s2-a', 's2-b'].map((s) => task('tunnelops-eu-west-1', s, 1));
    nockEcs('eu-west-1', 'ListTasks')(200, { taskArns: ok.map((t) => t.taskArn) });
    nockEcs('eu-west-1', 'DescribeTasks')(200, { tasks: ok, failures: [] });

    const result = await tasks().observe(sites);

    expect(result.get('s1/a')).toEqual({ ok: false, reason: 'access denied (AccessDeniedException)' });
    expect(result.get('s1/b')).toEqual({ ok: false, reason: 'access denied (AccessDeniedException)' });
    expect(result.get('s2/a')?.ok).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('says a throttled call was throttled', async () => {
    nockEcs('us-east-1', 'ListTasks')(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });

    const result = await tasks().observe(demoSites());

    expect(result.get('dc1/primary')).toEqual({
      ok: false,
      reason: 'AWS throttled the call (ThrottlingException)',
    });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('EcsTasks.redeploy and deploymentProgress', () => {
  it('forces a new deployment and returns the new PRIMARY deployment id', async () => {
    const seen: Body[] = [];
    nockEcs('us-east-1', 'UpdateService')(
      200,
      jsonFixture('ecs/update-service-force-new-deployment.json'),
      seen,
    );

    const id = await tasks().redeploy(demoSites()[0]!, 'primary');

    expect(id).toBe('ecs-svc/9223370564341699999');
    expect(seen).toEqual([{ cluster: 'tunnelops-dc1', service: 'dc1-primary', forceNewDeployment: true }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reads the deployment from DescribeServices', async () => {
    const seen: Body[] = [];
    const { service } = jsonFixture<{ service: Body }>('ecs/update-service-force-new-deployment.json');
    nockEcs('us-east-1', 'DescribeServices')(200, { services: [service], failures: [] }, seen);

    const progress = await tasks().deploymentProgress(
      demoSites()[0]!,
      'primary',
      'ecs-svc/9223370564341699999',
    );

    expect(progress).toEqual({
      state: 'in-progress',
      detail: '0/1 running, ECS deployment ecs-svc/9223370564341699999 in progress.',
    });
    expect(seen).toEqual([{ cluster: 'tunnelops-dc1', services: ['dc1-primary'] }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('maps rollout states to progress', () => {
    const svc = (d: Body[]): Service => ({ deployments: d }) as Service;
    const dep = { id: 'ecs-svc/1', status: 'PRIMARY', desiredCount: 1, runningCount: 1 };
    expect(progressOf(svc([{ ...dep, rolloutState: 'COMPLETED' }]), 'ecs-svc/1')).toEqual({
      state: 'completed',
      detail: '1/1 running',
    });
    expect(
      progressOf(
        svc([
          {
            ...dep,
            runningCount: 0,
            failedTasks: 3,
            rolloutState: 'FAILED',
            rolloutStateReason: 'circuit breaker: rolled back',
          },
        ]),
        'ecs-svc/1',
      ),
    ).toEqual({ state: 'failed', detail: '0/1 running, 3 failed tasks, circuit breaker: rolled back' });
    expect(
      progressOf(
        svc([{ ...dep, runningCount: 0, pendingCount: 1, rolloutState: 'IN_PROGRESS' }]),
        'ecs-svc/1',
      ),
    ).toEqual({
      state: 'in-progress',
      detail: '0/1 running, 1 pending',
    });
    expect(progressOf(svc([dep]), 'ecs-svc/1').state).toBe('completed');
    expect(progressOf(svc([dep, { id: 'ecs-svc/0', status: 'ACTIVE' }]), 'ecs-svc/1').state).toBe(
      'in-progress',
    );
    expect(progressOf(svc([dep]), 'ecs-svc/9').state).toBe('failed');
  });
});
