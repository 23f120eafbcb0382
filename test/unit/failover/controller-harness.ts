import type { Topology } from '../../../src/config/topology-schema.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { CompositeReporter } from '../../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';
import { LocalReporter } from '../../../src/monitor/local-reporter.js';
import { MonitorLoop } from '../../../src/monitor/monitor-loop.js';
import { targetLabel } from '../../../src/monitor/probe.js';
import type { Store } from '../../../src/ports/store.js';
import {
  type ControllerOutcome,
  FailoverController,
} from '../../../src/services/failover/failover-controller.js';
import type { FailoverProposer } from '../../../src/services/failover/report-outbox.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { memoryAccount, RecordingChat } from './fakes.js';

/**
 * The whole automatic path in memory with a fake clock: a monitor loop per tunnel (real tracker and
 * reporters, prober answering from a script), heartbeats in a SQLite store, the controller and the executor.
 */
export function controllerHarness(
  topology: Topology,
  opts: { store?: Store; approvals?: FailoverProposer } = {},
) {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = opts.store ?? new SqliteStore({ path: ':memory:', clock });
  const account = memoryAccount(topology);
  const chat = new RecordingChat();
  const controller = new FailoverController({
    topology,
    account,
    store,
    clock,
    chat,
    approvals: opts.approvals,
    log,
  });
  const outcomes: ControllerOutcome[] = [];
  const sink = {
    onHealthChanged: async (c: Parameters<FailoverController['onHealthChanged']>[0]) =>
      outcomes.push(await controller.onHealthChanged(c)),
  };
  const site = topology.sites[0]!;
  const up = new Map(site.tunnels.map((t) => [t.name, true]));
  const loops = site.tunnels.map(
    (t) =>
      new MonitorLoop({
        site,
        tunnel: t.name,
        clock,
        log,
        reporter: new CompositeReporter([
          new HeartbeatReporter({ store, log }),
          new LocalReporter({ sink, log }),
        ]),
        prober: async (target) =>
          up.get(t.name)
            ? { target: targetLabel(target), ok: true, rttMs: 5 }
            : { target: targetLabel(target), ok: false, rttMs: null, error: 'timeout' },
      }),
  );
  return {
    clock,
    store,
    account,
    chat,
    controller,
    outcomes,
    /** One probe interval: set each tunnel's path, probe both, advance the clock. */
    async step(primaryOk: boolean, secondaryOk: boolean): Promise<void> {
      up.set('primary', primaryOk);
      up.set('secondary', secondaryOk);
      for (const l of loops) await l.tick();
      clock.advance(1000);
    },
    failovers: () => outcomes.filter((o) => o.result?.ok),
    close: () => store.close(),
  };
}
