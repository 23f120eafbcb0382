import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { CloudWatchMetrics } from '../../../src/aws/cloudwatch-metrics.js';
import { silentLogger } from '../../../src/log.js';
import {
  demoSites,
  fakeClients,
  jsonFixture,
  type MetricDataQuery,
  makeSite,
  nockDescribeAlarms,
  nockGetMetricData,
} from './aws-http.js';

type Body = Record<string, unknown>;
const NOW = Date.parse('2026-11-25T12:00:00Z');
const metrics = () =>
  new CloudWatchMetrics({ clients: fakeClients(), clock: { now: () => NOW }, log: silentLogger() });

describe('CloudWatchMetrics.probeStats', () => {
  it('asks for loss, sample count and latency of every tunnel in one GetMetricData and aggregates them', async () => {
    const seen: Body[] = [];
    nockGetMetricData('us-east-1')(200, jsonFixture('cloudwatch/get-metric-data-dc1.json'), seen);

    const result = await metrics().probeStats(demoSites(), 5);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      StartTime: (NOW - 300_000) / 1000,
      EndTime: NOW / 1000,
      ScanBy: 'TimestampDescending',
    });
    const queries = seen[0]!.MetricDataQueries as MetricDataQuery[];
    expect(queries.map((q) => `${q.Id} ${q.MetricStat.Metric.MetricName} ${q.MetricStat.Stat}`)).toEqual([
      'loss0 ProbeLossPct Average',
      'count0 ProbeLossPct SampleCount',
      'latency0 ProbeLatencyMs Average',
      'loss1 ProbeLossPct Average',
      'count1 ProbeLossPct SampleCount',
      'latency1 ProbeLatencyMs Average',
    ]);
    expect(queries[3]!.MetricStat).toEqual({
      Metric: {
        Namespace: 'TunnelOps',
        MetricName: 'ProbeLossPct',
        Dimensions: [
          { Name: 'Site', Value: 'dc1' },
          { Name: 'Tunnel', Value: 'secondary' },
        ],
      },
      Period: 60,
      Stat: 'Average',
    });
    // primary: 10% loss in one full minute of 270 probes -> weighted 600/270; latest minute clean.
    const primary = result.get('dc1/primary');
    expect(primary?.ok).toBe(true);
    if (primary?.ok) {
      expect(primary.value.lossPct).toBeCloseTo(600 / 270, 5);
      expect(primary.value).toMatchObject({ latencyMs: 22, recentLossPct: 0, samples: 270 });
    }
    expect(result.get('dc1/secondary')).toEqual({
      ok: true,
      value: { lossPct: 40, latencyMs: 30, recentLossPct: 100, samples: 300 },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reports no samples as nulls, and a failed query as unknown for that tunnel only', async () => {
    nockGetMetricData('us-east-1')(200, {
      MetricDataResults: [
        ...['loss0', 'count0', 'latency0'].map((Id) => ({
          Id,
          Timestamps: [],
          Values: [],
          StatusCode: 'Complete',
        })),
        {
          Id: 'loss1',
          Timestamps: [],
          Values: [],
          StatusCode: 'InternalError',
          Messages: [{ Code: 'InternalError', Value: 'try again' }],
        },
        ...['count1', 'latency1'].map((Id) => ({ Id, Timestamps: [], Values: [], StatusCode: 'Complete' })),
      ],
      Messages: [],
    });

    const result = await metrics().probeStats(demoSites(), 5);

    expect(result.get('dc1/primary')).toEqual({
      ok: true,
      value: { lossPct: null, latencyMs: null, recentLossPct: null, samples: 0 },
    });
    expect(result.get('dc1/secondary')).toEqual({ ok: false, reason: 'CloudWatch InternalError: try again' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('stays within 500 queries a call, one region failing alone', async () => {
    const east = Array.from({ length: 90 }, (_, i) => makeSite(i + 1, 'us-east-1'));
    const sites = [...east, makeSite(200, 'eu-west-1')];
    const seen: Body[] = [];
    // Like CloudWatch, answer every query (here: no datapoints).
    const reply = (body: { MetricDataQueries: MetricDataQuery[] }) => ({
      MetricDataResults: body.MetricDataQueries.map((q) => ({
        Id: q.Id,
        Timestamps: [],
        Values: [],
        StatusCode: 'Complete',
      })),
    });
    for (let i = 0; i < 3; i++) nockGetMetricData('us-east-1')(200, reply, seen);
    nockGetMetricData('eu-west-1')(400, { __type: 'Throttling', message: 'Rate exceeded' });

    const result = await metrics().probeStats(sites, 5);

    // 180 services in one cluster: their task counts come along (7 queries a tunnel, 71 tunnels a call).
    expect(seen.map((b) => (b.MetricDataQueries as unknown[]).length).sort((a, b) => a - b)).toEqual([
      266, 497, 497,
    ]);
    expect(result.get('s1/a')).toEqual({
      ok: true,
      value: { lossPct: null, latencyMs: null, recentLossPct: null, samples: 0 },
    });
    expect(result.get('s90/b')).toEqual(result.get('s1/a'));
    expect(result.get('s200/a')).toEqual({ ok: false, reason: 'AWS throttled the call (Throttling)' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('follows NextToken pages and joins each series', async () => {
    const seen: Body[] = [];
    const page = (from: number, token?: string) => ({
      MetricDataResults: ['loss0', 'count0', 'latency0', 'loss1', 'count1', 'latency1'].map((Id) => ({
        Id,
        Timestamps: [NOW / 1000 - from],
        Values: [Id.startsWith('count') ? 10 : from === 60 ? 50 : 0],
        StatusCode: token ? 'PartialData' : 'Complete',
      })),
      ...(token ? { NextToken: token } : {}),
    });
    nockGetMetricData('us-east-1')(200, page(60, 'page-2'), seen);
    nockGetMetricData('us-east-1')(200, page(120), seen);

    const result = await metrics().probeStats(demoSites(), 5);

    expect(seen[1]).toMatchObject({ NextToken: 'page-2' });
    expect(result.get('dc1/primary')).toEqual({
      ok: true,
      value: { lossPct: 25, latencyMs: 25, recentLossPct: 50, samples: 20 },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('CloudWatchMetrics.alarms', () => {
  it('maps alarms to tunnels by Site/Tunnel dimensions or the tunnelops-<site>-<tunnel>- name prefix', async () => {
    const seen: Body[] = [];
    nockDescribeAlarms('us-east-1')(200, jsonFixture('cloudwatch/describe-alarms-dc1-page1.json'), seen);
    nockDescribeAlarms('us-east-1')(200, jsonFixture('cloudwatch/describe-alarms-dc1-page2.json'), seen);

    const result = await metrics().alarms(demoSites());

    expect(seen).toEqual([
      { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
      {
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
        NextToken: 'eyJuZXh0IjoiYWxhcm0tcGFnZS0yIn0=',
      },
    ]);
    expect(result.get('dc1/primary')).toEqual({
      ok: true,
      value: [
        {
          name: 'tunnelops-dc1-primary-status',
          state: 'OK',
          reason: expect.stringContaining('were not less than the threshold'),
          since: new Date(1795600000 * 1000).toISOString(),
        },
      ],
    });
    const secondary = result.get('dc1/secondary');
    expect(secondary?.ok && secondary.value.map((a) => `${a.name}: ${a.state}`)).toEqual([
      'dc1 secondary probe loss: ALARM',
      'tunnelops-dc1-secondary-any: INSUFFICIENT_DATA',
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes the tunnels of a region unknown when DescribeAlarms is denied', async () => {
    nockDescribeAlarms('us-east-1')(400, {
      __type: 'AccessDenied',
      message: 'User is not authorized to perform: cloudwatch:DescribeAlarms',
    });

    const result = await metrics().alarms(demoSites());

    expect(result.get('dc1/primary')).toEqual({ ok: false, reason: 'access denied (AccessDenied)' });
    expect(result.get('dc1/secondary')).toEqual({ ok: false, reason: 'access denied (AccessDenied)' });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('CloudWatchMetrics.probeSeries', () => {
  it("reads the hour's loss and latency per tunnel from GetMetricData, oldest first, gaps kept as null", async () => {
    const seen: Body[] = [];
    nockGetMetricData('us-east-1')(200, jsonFixture('cloudwatch/get-metric-data-dc1.json'), seen);

    const series = await metrics().probeSeries(demoSites()[0]!, 60);

    expect(seen[0]).toMatchObject({ StartTime: (NOW - 3_600_000) / 1000, EndTime: NOW / 1000 });
    const primary = series.get('primary');
    expect(primary?.ok && primary.value.map((p) => p.lossPct)).toEqual([0, 0, 10, 0, 0]);
    expect(primary?.ok && primary.value[0]).toEqual({ at: 1795607700_000, lossPct: 0, latencyMs: 20 });
    const secondary = series.get('secondary');
    // The secondary lost every probe in the last two minutes: loss 100, no latency.
    expect(secondary?.ok && secondary.value.slice(-2)).toEqual([
      { at: 1795607880_000, lossPct: 100, latencyMs: null },
      { at: 1795607940_000, lossPct: 100, latencyMs: null },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes every tunnel unknown with the reason when the call fails', async () => {
    nockGetMetricData('us-east-1')(400, { __type: 'AccessDeniedException', message: 'no' });
    const series = await metrics().probeSeries(demoSites()[0]!, 60);
    expect(series.get('primary')).toMatchObject({ ok: false });
    expect(series.get('secondary')).toMatchObject({ ok: false });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
