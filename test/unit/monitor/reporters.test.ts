import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { HEARTBEAT_NS } from '../../../src/domain/heartbeat.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { CloudWatchReporter } from '../../../src/monitor/cloudwatch-reporter.js';
import { EventBridgeReporter } from '../../../src/monitor/eventbridge-reporter.js';
import type { ProbeRound } from '../../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';

const credentials = { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'fake-secret-for-tests' };
const T0 = Date.parse('2026-01-01T00:00:00Z');

const round = (i: number, ok = true): ProbeRound => ({
  site: 'dc1',
  tunnel: 'primary',
  at: T0 + i * 1000,
  results: [{ target: 'icmp:10.20.0.10', ok, rttMs: ok ? 20 + i : null }],
  lossPct: ok ? 0 : 100,
  latencyMs: ok ? 20 + i : null,
  state: { health: ok ? 'up' : 'down', since: T0, riseCount: ok ? 5 : 0, fallCount: ok ? 0 : 3, reason: 'x' },
});

const mocks: Array<{ restore(): void }> = [];
afterEach(() => {
  for (const m of mocks.splice(0)) m.restore();
});

/** The loop's change report for a round that turned dc1/primary down. */
const wentDown = (r: ProbeRound) => ({
  site: 'dc1',
  tunnel: 'primary',
  from: 'up' as const,
  to: 'down' as const,
  at: r.at,
  reason: 'r',
  round: r,
});

describe('CloudWatchReporter', () => {
  const setup = (opts: { maxDatumsPerCall?: number; flushIntervalMs?: number } = {}) => {
    const client = new CloudWatchClient({ region: 'us-east-1', credentials });
    const cw = mockClient(client);
    mocks.push(cw);
    cw.on(PutMetricDataCommand).resolves({});
    return { cw, reporter: new CloudWatchReporter({ client, log: silentLogger(), ...opts }) };
  };

  it('batches 60 probe rounds into one high-resolution PutMetricData call', async () => {
    const { cw, reporter } = setup();
    for (let i = 0; i < 60; i++) await reporter.round(round(i));
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0); // nothing sent per probe
    await reporter.flush();
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.Namespace).toBe('TunnelOps');
    expect(input.MetricData).toHaveLength(180);
    expect(new Set(input.MetricData!.map((d) => d.MetricName))).toEqual(
      new Set(['TunnelUp', 'ProbeLossPct', 'ProbeLatencyMs']),
    );
    expect(input.MetricData!.every((d) => d.StorageResolution === 1)).toBe(true);
    expect(input.MetricData![0]).toEqual({
      MetricName: 'TunnelUp',
      Dimensions: [
        { Name: 'Site', Value: 'dc1' },
        { Name: 'Tunnel', Value: 'primary' },
      ],
      Timestamp: new Date(T0),
      Value: 1,
      Unit: 'Count',
      StorageResolution: 1,
    });
    await reporter.flush();
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1); // nothing left to send
  });

  it('splits a large buffer at the per-call datum limit and skips latency when nothing answered', async () => {
    const { cw, reporter } = setup({ maxDatumsPerCall: 100 });
    for (let i = 0; i < 100; i++) await reporter.round(round(i, i % 2 === 0));
    await reporter.flush();
    const sizes = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.length);
    expect(sizes).toEqual([100, 100, 50]); // 50 x 3 + 50 x 2 datums
  });

  it('keeps the datums when CloudWatch fails and sends them on the next flush', async () => {
    const { cw, reporter } = setup();
    cw.on(PutMetricDataCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .resolves({});
    for (let i = 0; i < 10; i++) await reporter.round(round(i));
    await reporter.flush();
    await reporter.flush();
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.MetricData).toHaveLength(30);
  });

  it('flushes on its own schedule and once more on stop', async () => {
    const { cw, reporter } = setup({ flushIntervalMs: 50 });
    reporter.start();
    for (let i = 0; i < 5; i++) await reporter.round(round(i));
    await new Promise((r) => setTimeout(r, 120));
    expect(cw.commandCalls(PutMetricDataCommand).length).toBe(1);
    await reporter.round(round(5));
    await reporter.stop();
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.MetricData).toHaveLength(3);
  });
});

describe('EventBridgeReporter', () => {
  it('puts one "Tunnel Health Changed" event from tunnelops.monitor per health change', async () => {
    const client = new EventBridgeClient({ region: 'us-east-1', credentials });
    const eb = mockClient(client);
    mocks.push(eb);
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 0,
      Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }],
    });
    const reporter = new EventBridgeReporter({ client, log: silentLogger(), eventBusName: 'tunnelops' });
    await reporter.round();
    const r = round(7, false);
    await reporter.changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'up',
      to: 'down',
      at: r.at,
      reason: '3 consecutive failed probe rounds',
      round: r,
    });
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entry = calls[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: 'tunnelops.monitor',
      DetailType: 'Tunnel Health Changed',
      EventBusName: 'tunnelops',
    });
    expect(JSON.parse(entry.Detail!)).toEqual({
      site: 'dc1',
      tunnel: 'primary',
      health: 'down',
      previous: 'up',
      reason: '3 consecutive failed probe rounds',
      at: '2026-01-01T00:00:07.000Z',
      lossPct: 100,
      latencyMs: null,
      fallCount: 3,
      riseCount: 0,
    });
  });

  it('retries a rejected entry once', async () => {
    const client = new EventBridgeClient({ region: 'us-east-1', credentials });
    const eb = mockClient(client);
    mocks.push(eb);
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    const r = round(1);
    await new EventBridgeReporter({ client, log: silentLogger() }).changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'unknown',
      to: 'up',
      at: r.at,
      reason: 'r',
      round: r,
    });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});

describe('HeartbeatReporter', () => {
  it('carries the certificate the server loaded, for the rotation to wait on', async () => {
    const store = new SqliteStore({ path: ':memory:', clock: { now: () => T0 } });
    const serverCert = { serial: '7F01', notAfter: '2027-12-01T00:00:00.000Z' };
    const stagedCert = { serial: '7F02', notAfter: '2028-12-01T00:00:00.000Z' };
    await new HeartbeatReporter({
      store,
      log: silentLogger(),
      serverCert: () => serverCert,
      stagedCert: () => stagedCert,
    }).round(round(1));
    expect((await store.get(HEARTBEAT_NS, 'dc1/primary'))?.value).toMatchObject({
      health: 'up',
      serverCert,
      stagedCert,
    });
  });

  it('writes the heartbeat with a TTL once the health is known, at most once per interval, and at once on a change', async () => {
    let now = T0;
    const store = new SqliteStore({ path: ':memory:', clock: { now: () => now } });
    const reporter = new HeartbeatReporter({ store, log: silentLogger(), intervalMs: 5000, ttlMs: 60_000 });
    await reporter.round({ ...round(0), state: { ...round(0).state, health: 'unknown' } });
    expect(await store.get(HEARTBEAT_NS, 'dc1/primary')).toBeNull();
    await reporter.round(round(1));
    await reporter.round(round(2));
    const rec = await store.get(HEARTBEAT_NS, 'dc1/primary');
    expect(rec).toMatchObject({
      version: 1,
      expiresAt: now + 60_000,
      value: {
        site: 'dc1',
        tunnel: 'primary',
        health: 'up',
        since: '2026-01-01T00:00:00.000Z',
        at: '2026-01-01T00:00:01.000Z',
        lossPct: 0,
        latencyMs: 21,
        fallCount: 0,
        riseCount: 5,
      },
    });
    now += 3000;
    const down = round(3, false);
    await reporter.changed(wentDown(down));
    expect(await store.get(HEARTBEAT_NS, 'dc1/primary')).toMatchObject({
      version: 2,
      value: { health: 'down', fallCount: 3 },
    });
    await store.close();
  });

  it('writes a changing round once, though the loop reports it as a round and as a change', async () => {
    const store = new SqliteStore({ path: ':memory:', clock: { now: () => T0 } });
    const reporter = new HeartbeatReporter({ store, log: silentLogger(), intervalMs: 1000 });
    const down = round(3, false);
    await reporter.round(down);
    await reporter.changed(wentDown(down));
    expect(await store.get(HEARTBEAT_NS, 'dc1/primary')).toMatchObject({
      version: 1,
      value: { health: 'down' },
    });
    await store.close();
  });
  it('writes a health change that comes in the same millisecond as the round written before it', async () => {
    const store = new SqliteStore({ path: ':memory:', clock: { now: () => T0 } });
    const reporter = new HeartbeatReporter({ store, log: silentLogger(), intervalMs: 1000 });
    const up = round(3);
    await reporter.round(up); // written: the first known health
    // The next round lands in the same millisecond (fast ticks, a busy host) and turns the health down.
    const down: ProbeRound = { ...round(3, false), at: up.at };
    await reporter.round(down); // within the interval: not written as a plain round
    await reporter.changed(wentDown(down));
    expect(await store.get(HEARTBEAT_NS, 'dc1/primary')).toMatchObject({
      version: 2,
      value: { health: 'down', fallCount: 3 },
    });
    await store.close();
  });
});
