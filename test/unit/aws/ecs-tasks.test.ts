import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { progressOf } from '../../../src/aws/ecs-service-state.js';
import { EcsTasks } from '../../../src/aws/ecs-tasks.js';
import { silentLogger } from '../../../src/log.js';
import {
  demoSites,
  fakeClients,
  jsonFixture,
  makeSite,
  nockDescribeServices,
  nockDescribeTasks,
  nockListTasks,
  nockUpdateService,
  SETTLED_TASKS,
  STEADY_SERVICE,
  STOPPED_TASKS,
  servicesReply,
} from './aws-http.js';

type Body = Record<string, unknown>;
const tasks = () => new EcsTasks({ clients: fakeClients(), log: silentLogger() });
const running = (b: Body) => b.desiredStatus === 'RUNNING';
const stopped = (b: Body) => b.desiredStatus === 'STOPPED';

/** A running task of a service: the documented DescribeTasks task, renamed. */
const task = (cluster: string, service: string, n: number, extra: Body = {}) => {
  const [doc] = jsonFixture<{ tasks: Body[] }>('ecs/describe-tasks-running-dc1.json').tasks;
  return {
    ...doc,
    clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${cluster}`,
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${service}${n}`,
    group: `service:${service}`,
    startedBy: 'ecs-svc/1111',
    ...extra,
  };
};

describe('EcsTasks.observe, a cluster of up to 10 tunnel services', () => {
  it('makes one DescribeServices, and looks up the last stop reason only of the service short of its count', async () => {
    const calls = { services: [] as Body[], list: [] as Body[], describeTasks: [] as Body[] };
    nockDescribeServices('us-east-1')(200, jsonFixture('ecs/describe-services-dc1.json'), calls.services);
    nockListTasks('us-east-1')(200, jsonFixture('ecs/list-tasks-stopped-dc1-secondary.json'), calls.list);
    nockDescribeTasks('us-east-1')(
      200,
      jsonFixture('ecs/describe-tasks-stopped-dc1-secondary.json'),
      calls.describeTasks,
    );

    const result = await tasks().observe(demoSites());

    expect(result.get('dc1/primary')).toEqual(SETTLED_TASKS);
    expect(result.get('dc1/secondary')).toEqual(STOPPED_TASKS);
    expect(calls.services).toEqual([
      { cluster: 'tunnelops-dc1', services: ['dc1-primary', 'dc1-secondary'] },
    ]);
    expect(calls.list).toEqual([
      { cluster: 'tunnelops-dc1', serviceName: 'dc1-secondary', desiredStatus: 'STOPPED', maxResults: 100 },
    ]);
    expect(calls.describeTasks[0]?.tasks).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('stops at DescribeServices when every service is steady, and reports a rollout as deploying', async () => {
    const seen: Body[] = [];
    const [dc1] = demoSites();
    nockDescribeServices('us-east-1')(200, servicesReply(), seen);

    const result = await tasks().observe([dc1!]);

    expect(seen).toHaveLength(1);
    expect(result.get('dc1/secondary')).toEqual(SETTLED_TASKS);
    expect(nock.pendingMocks()).toEqual([]);

    nockDescribeServices('us-east-1')(
      200,
      servicesReply((name) =>
        name === 'dc1-primary'
          ? {
              ...STEADY_SERVICE,
              deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }],
            }
          : STEADY_SERVICE,
      ),
    );
    nockListTasks('us-east-1')(200, { taskArns: [] }, seen);

    const rolling = await tasks().observe([dc1!]);

    expect(rolling.get('dc1/primary')).toEqual({
      ok: true,
      value: { desired: 1, running: 1, pending: 0, deploying: true },
    });
    expect(seen[1]).toMatchObject({ serviceName: 'dc1-primary', desiredStatus: 'STOPPED' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('accepts a service named by its ARN in the topology', async () => {
    const [dc1] = demoSites();
    const arn = 'arn:aws:ecs:us-east-1:123456789012:service/tunnelops-dc1/dc1-secondary';
    const site = {
      ...dc1!,
      tunnels: [dc1!.tunnels[0]!, { ...dc1!.tunnels[1]!, ecs: { cluster: 'tunnelops-dc1', service: arn } }],
    };
    const services: Body[] = [];
    const lists: Body[] = [];
    nockDescribeServices('us-east-1')(200, jsonFixture('ecs/describe-services-dc1.json'), services);
    nockListTasks('us-east-1')(200, { taskArns: [] }, lists);

    const result = await tasks().observe([site]);

    expect(services).toEqual([{ cluster: 'tunnelops-dc1', services: ['dc1-primary', arn] }]);
    expect(lists[0]).toMatchObject({ serviceName: 'dc1-secondary', desiredStatus: 'STOPPED' });
    expect(result.get('dc1/secondary')).toEqual({
      ok: true,
      value: { desired: 1, running: 0, pending: 0, deploying: false },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes only the failing region unknown, with a readable reason', async () => {
    const sites = [makeSite(1, 'us-east-1'), makeSite(2, 'eu-west-1'), makeSite(3, 'ap-southeast-2')];
    nockDescribeServices('us-east-1')(400, {
      __type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::123456789012:assumed-role/tunnelops is not authorized to perform: ecs:DescribeServices',
    });
    nockDescribeServices('eu-west-1')(200, servicesReply());
    nockDescribeServices('ap-southeast-2')(400, {
      __type: 'ThrottlingException',
      message: 'Rate exceeded',
    });

    const result = await tasks().observe(sites);

    expect(result.get('s1/a')).toEqual({ ok: false, reason: 'access denied (AccessDeniedException)' });
    expect(result.get('s1/b')).toEqual({ ok: false, reason: 'access denied (AccessDeniedException)' });
    expect(result.get('s2/a')).toEqual(SETTLED_TASKS);
    expect(result.get('s3/b')).toEqual({ ok: false, reason: 'AWS throttled the call (ThrottlingException)' });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('EcsTasks.observe, a cluster of more than 10 tunnel services', () => {
  it('makes two calls for the whole healthy cluster, however many tunnels it holds', async () => {
    const sites = Array.from({ length: 20 }, (_, i) => makeSite(i + 1, 'eu-west-1', 'shared'));
    const all = sites.flatMap((s) => s.tunnels.map((t, n) => task('shared', t.ecs.service, n)));
    const lists: Body[] = [];
    const describes: Body[] = [];
    nockListTasks('eu-west-1')(200, { taskArns: all.map((t) => t.taskArn) }, lists);
    nockDescribeTasks('eu-west-1')(200, { tasks: all, failures: [] }, describes);

    const result = await tasks().observe(sites);

    expect(lists).toEqual([{ cluster: 'shared', desiredStatus: 'RUNNING', maxResults: 100 }]);
    expect(describes[0]?.tasks).toHaveLength(40);
    expect([...result.values()].every((o) => o.ok && o.value.running === 1 && !o.value.deploying)).toBe(true);
    expect(result.size).toBe(40);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('looks closer at unsettled services only: deploying, stopped, batched 10 a DescribeServices', async () => {
    const sites = Array.from({ length: 8 }, (_, i) => makeSite(i + 1, 'eu-west-1', 'shared'));
    // s1-a is mid-deploy (tasks from two deployments); s2..s7 have no task; the rest run one task each.
    const settled = sites.slice(7).flatMap((s) => s.tunnels.map((t) => task('shared', t.ecs.service, 1)));
    const deploying = [task('shared', 's1-a', 1), task('shared', 's1-a', 2, { startedBy: 'ecs-svc/2222' })];
    const live = [...deploying, task('shared', 's1-b', 1), ...settled];
    const services: Body[] = [];
    const stops: Body[] = [];
    nockListTasks('eu-west-1')(200, { taskArns: live.map((t) => t.taskArn) }, [], running);
    nockDescribeTasks('eu-west-1')(200, { tasks: live, failures: [] });
    const reply = servicesReply((name) =>
      name === 's1-a'
        ? {
            desiredCount: 1,
            runningCount: 2,
            pendingCount: 0,
            deployments: [
              { id: 'ecs-svc/2222', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
              { id: 'ecs-svc/1111', status: 'ACTIVE', rolloutState: 'COMPLETED' },
            ],
          }
        : { ...STEADY_SERVICE, runningCount: 0 },
    );
    nockDescribeServices('eu-west-1')(200, reply, services);
    nockDescribeServices('eu-west-1')(200, reply, services);
    for (let i = 0; i < 13; i++) nockListTasks('eu-west-1')(200, { taskArns: [] }, stops, stopped);

    const result = await tasks().observe(sites);

    // 13 unsettled: s1-a and the 12 tunnels of s2..s7.
    expect(services.map((b) => (b.services as string[]).length).sort((a, b) => a - b)).toEqual([3, 10]);
    expect(stops).toHaveLength(13);
    expect(result.get('s1/a')).toEqual({
      ok: true,
      value: { desired: 1, running: 2, pending: 0, deploying: true },
    });
    expect(result.get('s1/b')).toEqual(SETTLED_TASKS);
    expect(result.get('s3/b')).toEqual({
      ok: true,
      value: { desired: 1, running: 0, pending: 0, deploying: false },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes the cluster unknown when ListTasks is denied', async () => {
    const sites = Array.from({ length: 6 }, (_, i) => makeSite(i + 1, 'us-east-1', 'shared'));
    nockListTasks('us-east-1')(400, {
      __type: 'AccessDeniedException',
      message: 'not authorized to perform: ecs:ListTasks',
    });

    const result = await tasks().observe(sites);

    expect(result.size).toBe(12);
    expect(
      [...result.values()].every((o) => !o.ok && o.reason === 'access denied (AccessDeniedException)'),
    ).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('EcsTasks.redeploy and deploymentProgress', () => {
  it('forces a new deployment and returns the new PRIMARY deployment id', async () => {
    const seen: Body[] = [];
    nockUpdateService('us-east-1')(200, jsonFixture('ecs/update-service-force-new-deployment.json'), seen);

    const id = await tasks().redeploy(demoSites()[0]!, 'primary');

    expect(id).toBe('ecs-svc/9223370564341699999');
    expect(seen).toEqual([{ cluster: 'tunnelops-dc1', service: 'dc1-primary', forceNewDeployment: true }]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reads the deployment from DescribeServices', async () => {
    const seen: Body[] = [];
    const { service } = jsonFixture<{ service: Body }>('ecs/update-service-force-new-deployment.json');
    nockDescribeServices('us-east-1')(200, { services: [service], failures: [] }, seen);

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
