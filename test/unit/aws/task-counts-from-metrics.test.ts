import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createAwsAccount } from '../../../src/aws/aws-account.js';
import { loadEnv } from '../../../src/config/load-env.js';
import type { Site } from '../../../src/config/topology-schema.js';
import { silentLogger } from '../../../src/log.js';
import type { Account } from '../../../src/ports/account.js';
import {
  demoSites,
  FAKE_CREDENTIALS,
  jsonFixture,
  type MetricDataQuery,
  makeSite,
  nockDescribeServices,
  nockDescribeTasks,
  nockGetMetricData,
  nockListTasks,
  SETTLED_TASKS,
  STEADY_SERVICE,
  STOPPED_TASKS,
  servicesReply,
} from './aws-http.js';

type Body = Record<string, unknown>;

const NOW = Date.parse('2026-11-25T12:00:00Z');
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

/** Two sites per region, each with its own ECS cluster (as infra deploys them). */
const perSiteClusters = (): Site[] =>
  Array.from({ length: 6 }, (_, i) => makeSite(i + 1, REGIONS[i % 3]!, `tunnelops-s${i + 1}`));

function account(now = () => NOW): Account {
  return createAwsAccount({
    env: loadEnv({ AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId }),
    topology: { sites: perSiteClusters() },
    clock: { now },
    log: silentLogger(),
    clientOptions: { credentials: FAKE_CREDENTIALS, maxAttempts: 1 },
  });
}

const dim = (q: MetricDataQuery, name: string) =>
  q.MetricStat.Metric.Dimensions.find((d) => d.Name === name)?.Value;

/** Task counts a service's Container Insights metrics report; absent services have no datapoints. */
type Counts = { running: number; desired: number; pending?: number; deployments?: number };

/**
 * GetMetricData as CloudWatch answers it (awsJson1_0: epoch-second timestamps, newest first): every query
 * gets a result; probes are clean, Container Insights counts come from `counts` by ServiceName.
 */
const metricDataReply =
  (counts: (service: string) => Counts | undefined) => (body: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: body.MetricDataQueries.map((q) => {
      const stamps = [NOW / 1000 - 120, NOW / 1000 - 180];
      let value: number | undefined;
      if (q.MetricStat.Metric.Namespace === 'TunnelOps')
        value =
          q.MetricStat.Stat === 'SampleCount'
            ? 60
            : q.MetricStat.Metric.MetricName === 'ProbeLossPct'
              ? 0
              : 21;
      else {
        const c = counts(dim(q, 'ServiceName') ?? '');
        const byMetric: Record<string, number | undefined> = {
          RunningTaskCount: c?.running,
          DesiredTaskCount: c?.desired,
          PendingTaskCount: c ? (c.pending ?? 0) : undefined,
          DeploymentCount: c ? (c.deployments ?? 1) : undefined,
        };
        value = byMetric[q.MetricStat.Metric.MetricName];
      }
      return {
        Id: q.Id,
        Label: q.MetricStat.Metric.MetricName,
        Timestamps: value === undefined ? [] : stamps,
        Values: value === undefined ? [] : stamps.map(() => value),
        StatusCode: 'Complete',
      };
    }),
    Messages: [],
  });

const settled: Counts = { running: 1, desired: 1 };

// Any request no interceptor answered: an ECS call the adapter should not have made shows up here.
let unmatched: string[] = [];
const onNoMatch = (req: { host?: string; hostname?: string }) =>
  unmatched.push(req.host ?? req.hostname ?? '?');
beforeEach(() => {
  unmatched = [];
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  nock.emitter.removeListener('no match', onNoMatch);
});

describe('ECS task counts from Container Insights, in the probe stats call', () => {
  it('settled services: no ECS call, one GetMetricData per region for probes and task counts together', async () => {
    const seen = new Map<string, Body[]>();
    for (const region of REGIONS) {
      seen.set(region, []);
      nockGetMetricData(region)(
        200,
        metricDataReply(() => settled),
        seen.get(region),
      );
    }
    const aws = account();

    const [tasks, probes] = await Promise.all([
      aws.tasks.observe(perSiteClusters()),
      aws.metrics.probeStats(perSiteClusters(), 5),
    ]);

    for (const region of REGIONS) expect(seen.get(region)).toHaveLength(1);
    const queries = seen.get('us-east-1')![0]!.MetricDataQueries as MetricDataQuery[];
    // s1 and s4 live in us-east-1: 2 tunnels each, 3 probe + 4 task-count queries a tunnel.
    expect(queries).toHaveLength(28);
    expect(queries.find((q) => q.Id === 'running0')?.MetricStat).toEqual({
      Metric: {
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'RunningTaskCount',
        Dimensions: [
          { Name: 'ClusterName', Value: 'tunnelops-s1' },
          { Name: 'ServiceName', Value: 's1-a' },
        ],
      },
      Period: 60,
      Stat: 'Minimum',
    });
    const insightIds = queries
      .filter((q) => q.MetricStat.Metric.Namespace === 'ECS/ContainerInsights')
      .map((q) => q.Id);
    expect(insightIds).toEqual(
      [0, 1, 2, 3].flatMap((i) => ['running', 'desired', 'pending', 'deployments'].map((n) => `${n}${i}`)),
    );
    expect(
      queries
        .filter((q) => q.MetricStat.Metric.MetricName === 'DesiredTaskCount')
        .map((q) => dim(q, 'ClusterName')),
    ).toEqual(['tunnelops-s1', 'tunnelops-s1', 'tunnelops-s4', 'tunnelops-s4']);
    expect(tasks.size).toBe(12);
    for (const state of tasks.values()) expect(state).toEqual(SETTLED_TASKS);
    expect(probes.get('s6/b')).toEqual({
      ok: true,
      value: { lossPct: 0, latencyMs: 21, recentLossPct: 0, samples: 120 },
    });
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('an under-replicated service: DescribeServices and its last stop, in its own cluster only', async () => {
    const sites = perSiteClusters().filter((s) => s.region === 'us-east-1');
    nockGetMetricData('us-east-1')(
      200,
      metricDataReply((service) => (service === 's4-b' ? { running: 0, desired: 1 } : settled)),
    );
    const calls = { services: [] as Body[], list: [] as Body[], describeTasks: [] as Body[] };
    nockDescribeServices('us-east-1')(
      200,
      servicesReply(() => ({ ...STEADY_SERVICE, runningCount: 0 })),
      calls.services,
    );
    const stopped = jsonFixture<{ tasks: Array<Body & { taskArn: string }> }>(
      'ecs/describe-tasks-stopped-dc1-secondary.json',
    ).tasks.map((t) => ({ ...t, group: 'service:s4-b' }));
    nockListTasks('us-east-1')(200, { taskArns: stopped.map((t) => t.taskArn) }, calls.list);
    nockDescribeTasks('us-east-1')(200, { tasks: stopped, failures: [] }, calls.describeTasks);

    const tasks = await account().tasks.observe(sites);

    expect(calls.services).toEqual([{ cluster: 'tunnelops-s4', services: ['s4-b'] }]);
    expect(calls.list).toEqual([
      { cluster: 'tunnelops-s4', serviceName: 's4-b', desiredStatus: 'STOPPED', maxResults: 100 },
    ]);
    expect(calls.describeTasks).toEqual([{ cluster: 'tunnelops-s4', tasks: stopped.map((t) => t.taskArn) }]);
    expect(tasks.get('s4/b')).toEqual(STOPPED_TASKS);
    expect(tasks.get('s4/a')).toEqual(SETTLED_TASKS);
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a deploying service and a cluster without Container Insights data are described; only the deploying one gets a stop lookup', async () => {
    const sites = perSiteClusters().filter((s) => s.region === 'eu-west-1');
    // s2-a is mid-deploy (two deployments); s5 (both services) publishes no task counts.
    nockGetMetricData('eu-west-1')(
      200,
      metricDataReply((service) =>
        service === 's2-a'
          ? { running: 1, desired: 1, deployments: 2 }
          : service.startsWith('s5')
            ? undefined
            : settled,
      ),
    );
    const described: Body[] = [];
    const lists: Body[] = [];
    nockDescribeServices('eu-west-1')(
      200,
      servicesReply(() => ({
        ...STEADY_SERVICE,
        deployments: [
          { id: 'ecs-svc/2222', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
          { id: 'ecs-svc/1111', status: 'ACTIVE', rolloutState: 'COMPLETED' },
        ],
      })),
      described,
      (b) => b.cluster === 'tunnelops-s2',
    );
    nockDescribeServices('eu-west-1')(200, servicesReply(), described, (b) => b.cluster === 'tunnelops-s5');
    nockListTasks('eu-west-1')(200, { taskArns: [] }, lists);

    const tasks = await account().tasks.observe(sites);

    expect(described.sort((a, b) => String(a.cluster).localeCompare(String(b.cluster)))).toEqual([
      { cluster: 'tunnelops-s2', services: ['s2-a'] },
      { cluster: 'tunnelops-s5', services: ['s5-a', 's5-b'] },
    ]);
    expect(lists).toEqual([
      { cluster: 'tunnelops-s2', serviceName: 's2-a', desiredStatus: 'STOPPED', maxResults: 100 },
    ]);
    expect(tasks.get('s2/a')).toEqual({
      ok: true,
      value: { desired: 1, running: 1, pending: 0, deploying: true },
    });
    expect(tasks.get('s2/b')).toEqual(SETTLED_TASKS);
    expect(tasks.get('s5/b')).toEqual({
      ok: true,
      value: {
        desired: 1,
        running: 1,
        pending: 0,
        deploying: false,
        note: 'no Container Insights task counts in cluster tunnelops-s5; read from ECS',
      },
    });
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('metrics call failing: every cluster is read from ECS, the state says why, and the failure is not cached', async () => {
    const sites = perSiteClusters().filter((s) => s.region === 'ap-southeast-2');
    const denied = {
      __type: 'AccessDenied',
      message: 'User is not authorized to perform: cloudwatch:GetMetricData',
    };
    nockGetMetricData('ap-southeast-2')(403, denied);
    const described: Body[] = [];
    for (const cluster of ['tunnelops-s3', 'tunnelops-s6'])
      nockDescribeServices('ap-southeast-2')(200, servicesReply(), described, (b) => b.cluster === cluster);
    const aws = account();

    const [tasks, probes] = await Promise.all([aws.tasks.observe(sites), aws.metrics.probeStats(sites, 5)]);

    expect(described.map((b) => b.cluster).sort()).toEqual(['tunnelops-s3', 'tunnelops-s6']);
    expect(tasks.get('s6/a')).toEqual({
      ok: true,
      value: {
        desired: 1,
        running: 1,
        pending: 0,
        deploying: false,
        note: 'Container Insights metrics unavailable (access denied (AccessDenied)); read from ECS',
      },
    });
    expect(probes.get('s6/a')).toEqual({ ok: false, reason: 'access denied (AccessDenied)' });
    expect(nock.pendingMocks()).toEqual([]);

    // The next status asks CloudWatch again rather than reusing the failure.
    const again: Body[] = [];
    nockGetMetricData('ap-southeast-2')(
      200,
      metricDataReply(() => settled),
      again,
    );
    const next = await aws.tasks.observe(sites);
    expect(again).toHaveLength(1);
    expect(next.get('s6/a')).toEqual(SETTLED_TASKS);
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reuses an answer for a few seconds only', async () => {
    let now = NOW;
    const aws = account(() => now);
    const sites = perSiteClusters().filter((s) => s.region === 'us-east-1');
    const seen: Body[] = [];
    nockGetMetricData('us-east-1')(
      200,
      metricDataReply(() => settled),
      seen,
    );

    await aws.metrics.probeStats(sites, 5);
    now += 2000;
    await aws.tasks.observe(sites);
    expect(seen).toHaveLength(1);

    nockGetMetricData('us-east-1')(
      200,
      metricDataReply(() => settled),
      seen,
    );
    now += 10_000;
    await aws.tasks.observe(sites);
    expect(seen).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a single small cluster (one site, as the failover controller asks) is read from ECS: as cheap, and fresher', async () => {
    const seen: Body[] = [];
    const [dc1] = demoSites();
    nockDescribeServices('us-east-1')(200, servicesReply(), seen);

    const tasks = await account().tasks.observe([dc1!]);

    expect(seen).toEqual([{ cluster: 'tunnelops-dc1', services: ['dc1-primary', 'dc1-secondary'] }]);
    expect(tasks.get('dc1/primary')).toEqual(SETTLED_TASKS);
    expect(unmatched).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
