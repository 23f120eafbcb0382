import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../domain/heartbeat.js';
import type { CertId } from '../domain/rotation-plan.js';
import type { Logger } from '../log.js';
import type { Store } from '../ports/store.js';
import type { HealthReporter, ProbeRound, TunnelHealthChange } from './health-reporter.js';

export interface HeartbeatReporterProps {
  store: Store;
  log: Logger;
  /** Write at most this often while nothing changes (a change is written at once). */
  intervalMs?: number;
  /**
   * Record TTL. Long: a dead monitor's heartbeat must stay visible as stale (a missing one is no evidence),
   * and only a monitor gone for good disappears.
   */
  ttlMs?: number;
  /** A certificate that stops this tunnel (CertWatch): carried in every heartbeat, so no decider fails over onto it. */
  certFault?: () => string | null;
  /** The server certificate read when the server and this monitor started (what a rotation waits for). */
  serverCert?: () => CertId | undefined;
  /** The server certificate on disk now: what the server's next start would load (the rotation's "published"). */
  stagedCert?: () => CertId | undefined;
}

/** Writes the tunnel's health to the store; nothing until the tracker knows (rise or fall reached). */
export class HeartbeatReporter implements HealthReporter {
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  /** The round last on record, by identity: two rounds can share a millisecond, so `at` cannot tell them apart. */
  private lastWritten: ProbeRound | undefined;

  constructor(private readonly props: HeartbeatReporterProps) {}

  async round(round: ProbeRound): Promise<void> {
    if (round.state.health === 'unknown') return;
    // The goodbye always goes on record.
    if (!round.goodbye && round.at - this.lastWriteAt < (this.props.intervalMs ?? 1000)) return;
    await this.write(round);
  }

  async changed(change: TunnelHealthChange): Promise<void> {
    // The loop reports the round before the change: when round() just wrote this very round, it is on record.
    if (change.round === this.lastWritten) return;
    await this.write(change.round);
  }

  async flush(): Promise<void> {}

  /**
   * The heartbeat this round makes (undefined while the health is unknown): what write() stores, and what the
   * fast path hands its controller as this tunnel's own, newest word (the store may not have it yet).
   */
  beatOf(round: ProbeRound): Heartbeat | undefined {
    const { state } = round;
    if (state.health === 'unknown') return undefined;
    const serverCert = this.props.serverCert?.();
    const stagedCert = this.props.stagedCert?.();
    const beat: Heartbeat = {
      site: round.site,
      tunnel: round.tunnel,
      health: state.health,
      since: new Date(state.since).toISOString(),
      at: new Date(round.at).toISOString(),
      lossPct: round.lossPct,
      latencyMs: round.latencyMs,
      fallCount: state.fallCount,
      riseCount: state.riseCount,
      ...(round.peer ? { peer: round.peer.view } : {}),
      ...(round.goodbye ? { goodbye: true as const } : {}),
      ...(serverCert ? { serverCert } : {}),
      ...(stagedCert ? { stagedCert } : {}),
    };
    const certFault = this.props.certFault?.();
    if (certFault) beat.certFault = certFault;
    return beat;
  }

  private async write(round: ProbeRound): Promise<void> {
    const beat = this.beatOf(round);
    if (!beat) return;
    try {
      await this.props.store.put(
        HEARTBEAT_NS,
        heartbeatKey(round.site, round.tunnel),
        beat,
        this.props.ttlMs ?? 24 * 3_600_000,
      );
      this.lastWriteAt = round.at;
      this.lastWritten = round;
    } catch (err) {
      this.props.log.warn({ err, site: round.site, tunnel: round.tunnel }, 'heartbeat write failed');
    }
  }
}
