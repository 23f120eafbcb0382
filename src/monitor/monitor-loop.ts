import type { Site } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { HealthReporter, ProbeRound } from './health-reporter.js';
import { HealthTracker } from './health-tracker.js';
import type { PeerWatch } from './peer-watch.js';
import type { Prober } from './probe.js';

export interface MonitorLoopProps {
  site: Site;
  tunnel: string;
  prober: Prober;
  reporter: HealthReporter;
  clock: Clock;
  log: Logger;
  /** Defaults to the site's probeIntervalSeconds. */
  intervalMs?: number;
  /** Looks at the other server every round, beside the tunnel probes. */
  peer?: PeerWatch;
  /** A certificate that stops the tunnel, if any (CertWatch): the reason of a failed round says so first. */
  certFault?: () => string | null;
}

/**
 * Every interval probes all the site's on-prem targets through this tunnel, feeds the round
 * into the rise/fall tracker and reports. A round is good when at least one target answered:
 * one on-prem host being down is not a tunnel failure (both tunnels would see it).
 * Usable in-process (sandbox, lab, tests: call tick()) or as a process (main.ts).
 */
export class MonitorLoop {
  readonly tracker: HealthTracker;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly props: MonitorLoopProps) {
    const f = props.site.failover;
    this.tracker = new HealthTracker({ rise: f.rise, fall: f.fall }, props.clock.now());
    this.intervalMs = props.intervalMs ?? f.probeIntervalSeconds * 1000;
  }

  /** One probe round: probe every target (in parallel), update the tracker, report. */
  async tick(): Promise<ProbeRound> {
    const { site, tunnel, prober, reporter, clock, log } = this.props;
    const [results, peer] = await Promise.all([
      Promise.all(site.probeTargets.map((t) => prober(t))),
      this.props.peer?.observe(),
    ]);
    const at = clock.now();
    const failed = results.filter((r) => !r.ok);
    const rtts = results.flatMap((r) => (r.ok && r.rttMs !== null ? [r.rttMs] : []));
    const ok = failed.length < results.length;
    const detail = ok
      ? undefined
      : `${failed.length}/${results.length} probes failed: ${failed.map((r) => `${r.target} ${r.error ?? 'failed'}`).join(', ')}`;
    const cause = ok ? null : (this.props.certFault?.() ?? null);
    const change = this.tracker.record(
      detail === undefined ? { ok } : { ok, detail, ...(cause ? { cause } : {}) },
      at,
    );
    const round: ProbeRound = {
      site: site.name,
      tunnel,
      at,
      results,
      lossPct: results.length === 0 ? 100 : (failed.length / results.length) * 100,
      latencyMs: rtts.length === 0 ? null : rtts.reduce((a, b) => a + b, 0) / rtts.length,
      state: this.tracker.state(),
      ...(peer ? { peer } : {}),
    };
    await reporter.round(round);
    if (change) {
      log.info(
        { site: site.name, tunnel, from: change.from, to: change.to, reason: change.reason },
        'tunnel health changed',
      );
      await reporter.changed({ ...change, site: site.name, tunnel, round });
    }
    return round;
  }

  /** Probes every interval until stop(); rounds never overlap. */
  start(options: { unref?: boolean } = {}): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      const started = Date.now();
      this.running = this.tick()
        .catch((err) => this.props.log.error({ err }, 'probe round failed'))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(loop, Math.max(0, this.intervalMs - (Date.now() - started)));
          if (options.unref) this.timer.unref();
        });
    };
    loop();
  }

  /**
   * The monitor's goodbye, after stop(): reports the tunnel down at once (heartbeat, and the fast path, which
   * moves traffic off it if it is active), so the other side need not wait for `fall` rounds or a silent heartbeat.
   */
  async goodbye(reason: string): Promise<void> {
    const { site, tunnel, reporter, clock } = this.props;
    const at = clock.now();
    const change = this.tracker.stopping(reason, at);
    const round: ProbeRound = {
      site: site.name,
      tunnel,
      at,
      results: [],
      lossPct: 100,
      latencyMs: null,
      state: this.tracker.state(),
      goodbye: true,
    };
    // Already down: no change to report, but the goodbye still goes on record (read late, a plain "down" of a
    // host that answers would count as a silent monitor once stale).
    if (change) await reporter.changed({ ...change, site: site.name, tunnel, round });
    else await reporter.round(round);
    await reporter.flush();
  }

  /** Stops probing, waits for the round in flight, then flushes the reporters. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.props.reporter.flush();
  }
}
