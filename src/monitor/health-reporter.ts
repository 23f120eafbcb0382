import type { HealthChange, HealthState } from './health-tracker.js';
import type { PeerObservation } from './peer-watch.js';
import type { ProbeResult } from './probe.js';

/** One probe round of one tunnel: every target probed once. */
export interface ProbeRound {
  site: string;
  tunnel: string;
  /** Epoch ms. */
  at: number;
  results: ProbeResult[];
  /** Failed probes of this round, in percent. */
  lossPct: number;
  /** Mean RTT of the probes that answered; null when none did. */
  latencyMs: number | null;
  /** Tracker state after this round. */
  state: HealthState;
  /** This round's look at the other server (when the monitor watches a peer). */
  peer?: PeerObservation;
  /** Not a probe round: the monitor's goodbye (MonitorLoop.goodbye), its server stopping. */
  goodbye?: true;
}

export interface TunnelHealthChange extends HealthChange {
  site: string;
  tunnel: string;
  round: ProbeRound;
}

/**
 * Where the monitor reports (port). Adapters: CloudWatch metrics (batched), EventBridge
 * events, store heartbeats, and the in-process controller. Reporters must not throw.
 */
export interface HealthReporter {
  round(round: ProbeRound): Promise<void>;
  changed(change: TunnelHealthChange): Promise<void>;
  /** Sends anything buffered (on stop and on the reporter's own schedule). */
  flush(): Promise<void>;
}

/** Runs reporters in order (heartbeat before the controller, so the controller reads the new state). */
export class CompositeReporter implements HealthReporter {
  constructor(private readonly reporters: HealthReporter[]) {}

  async round(round: ProbeRound): Promise<void> {
    for (const r of this.reporters) await r.round(round);
  }

  async changed(change: TunnelHealthChange): Promise<void> {
    for (const r of this.reporters) await r.changed(change);
  }

  async flush(): Promise<void> {
    await Promise.all(this.reporters.map((r) => r.flush()));
  }
}
