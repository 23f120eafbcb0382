import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import { HEARTBEAT_NS } from '../../../src/domain/heartbeat.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { HealthReporter, ProbeRound, TunnelHealthChange } from '../../../src/monitor/health-reporter.js';
import { CompositeReporter } from '../../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';
import { MonitorLoop } from '../../../src/monitor/monitor-loop.js';
import { byKind } from '../../../src/monitor/probe.js';
import { tcpProber } from '../../../src/monitor/tcp-prober.js';
import { topologyInput } from '../../helpers/fakes/site.js';

/** The one site, named lab, probing TCP ports on loopback. */
const localTopology = (ports: number[]) =>
  parseTopology(
    JSON.stringify(
      topologyInput({
        name: 'lab',
        probeTargets: ports.map((port) => ({ kind: 'tcp', host: '127.0.0.1', port })),
        failover: { fall: 2, rise: 2, probeIntervalSeconds: 0.05 },
      }),
    ),
  );

class Recorder implements HealthReporter {
  rounds: ProbeRound[] = [];
  changes: TunnelHealthChange[] = [];
  flushes = 0;
  async round(r: ProbeRound) {
    this.rounds.push(r);
  }
  async changed(c: TunnelHealthChange) {
    this.changes.push(c);
  }
  async flush() {
    this.flushes++;
  }
}

const listen = async (): Promise<{ server: Server; port: number }> => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
};
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('MonitorLoop (TCP probes against local servers)', () => {
  it('goes up, stays up while one target answers, goes down when none does, and reports each change', async () => {
    const a = await listen();
    const b = await listen();
    servers.push(a.server);
    const site = localTopology([a.port, b.port]).sites[0]!;
    const store = new SqliteStore({ path: ':memory:' });
    const rec = new Recorder();
    let now = 1_000_000;
    const loop = new MonitorLoop({
      site,
      tunnel: 'primary',
      prober: byKind({ icmp: tcpProber(), tcp: tcpProber({ timeoutMs: 500 }) }),
      reporter: new CompositeReporter([
        new HeartbeatReporter({ store, log: silentLogger(), intervalMs: 0 }),
        rec,
      ]),
      clock: { now: () => now++ },
      log: silentLogger(),
    });
    await loop.tick();
    await loop.tick();
    expect(rec.changes.map((c) => `${c.from}->${c.to}`)).toEqual(['unknown->up']);
    await new Promise((r) => b.server.close(r)); // one of two targets gone: still a working tunnel
    const partial = await loop.tick();
    expect(partial.lossPct).toBe(50);
    expect(partial.latencyMs).not.toBeNull();
    expect(partial.state.health).toBe('up');
    servers.splice(0);
    await new Promise((r) => a.server.close(r));
    await loop.tick();
    await loop.tick();
    expect(rec.changes.map((c) => `${c.from}->${c.to}`)).toEqual(['unknown->up', 'up->down']);
    expect(rec.changes[1]?.reason).toMatch(
      /2 consecutive failed probe rounds \(fall 2\): 2\/2 probes failed: tcp:127.0.0.1:\d+ ECONNREFUSED/,
    );
    expect(await store.get(HEARTBEAT_NS, 'lab/primary')).toMatchObject({
      value: { health: 'down', lossPct: 100, latencyMs: null, fallCount: 2 },
    });
    await store.close();
  });

  it('runs on its interval until stop(), which waits for the round in flight and flushes', async () => {
    const a = await listen();
    servers.push(a.server);
    const site = localTopology([a.port]).sites[0]!;
    const rec = new Recorder();
    const loop = new MonitorLoop({
      site,
      tunnel: 'secondary',
      prober: tcpProber(),
      reporter: rec,
      clock: { now: Date.now },
      log: silentLogger(),
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 300));
    await loop.stop();
    const n = rec.rounds.length;
    expect(n).toBeGreaterThanOrEqual(3); // every 50 ms
    expect(rec.flushes).toBe(1);
    expect(rec.changes.map((c) => c.to)).toEqual(['up']);
    await new Promise((r) => setTimeout(r, 150));
    expect(rec.rounds.length).toBe(n); // no round after stop
  });
});
