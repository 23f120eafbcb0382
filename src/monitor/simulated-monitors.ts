import type { Topology } from '../config/topology-schema.js';
import type { CertId } from '../domain/rotation-plan.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { CompositeReporter } from './health-reporter.js';
import { HeartbeatReporter } from './heartbeat-reporter.js';
import { type HealthChangeSink, LocalReporter } from './local-reporter.js';
import { MonitorLoop } from './monitor-loop.js';
import { targetLabel } from './probe.js';

/**
 * One monitor per sandbox tunnel: the real loop, tracker and reporters, with a prober that asks the
 * simulated account whether the tunnel is up (chaos break/heal), reporting heartbeats to the store
 * and health changes straight to the controller.
 */
export function simulatedMonitors(props: {
  topology: Topology;
  tunnelUp: (site: string, tunnel: string) => boolean;
  store: Store;
  clock: Clock;
  log: Logger;
  sink: HealthChangeSink;
  /** The certificate each simulated server loaded, reported in its heartbeat as a real monitor does. */
  serverCert?: (site: string, tunnel: string) => CertId | undefined;
  /** A certificate that stops the tunnel (its CertWatch): in the heartbeat and leading a down reason, as a real monitor's. */
  certFault?: (site: string, tunnel: string) => string | null;
}): MonitorLoop[] {
  const loops: MonitorLoop[] = [];
  for (const site of props.topology.sites) {
    for (const tunnel of site.tunnels) {
      const log = props.log.child({ monitor: `${site.name}/${tunnel.name}` });
      const certFault = () => props.certFault?.(site.name, tunnel.name) ?? null;
      const reporter = new CompositeReporter([
        new HeartbeatReporter({
          store: props.store,
          log,
          certFault,
          ...(props.serverCert ? { serverCert: () => props.serverCert?.(site.name, tunnel.name) } : {}),
        }),
        new LocalReporter({ sink: props.sink, log }),
      ]);
      const prober = async (target: Parameters<typeof targetLabel>[0]) =>
        props.tunnelUp(site.name, tunnel.name)
          ? { target: targetLabel(target), ok: true, rttMs: 12 }
          : { target: targetLabel(target), ok: false, rttMs: null, error: 'timeout (sandbox chaos)' };
      loops.push(
        new MonitorLoop({ site, tunnel: tunnel.name, prober, reporter, clock: props.clock, log, certFault }),
      );
    }
  }
  return loops;
}
