/**
 * Rise/fall counters (as AWSnycast and keepalived use): a tunnel turns down after `fall`
 * consecutive failed rounds and up after `rise` consecutive good ones, so intermittent loss
 * below the fall threshold never flips it. It starts "unknown" and reports nothing until
 * the first threshold is reached, so a restarting monitor cannot look like an outage.
 */
export type Health = 'up' | 'down';
export type TrackedHealth = Health | 'unknown';

export interface HealthState {
  health: TrackedHealth;
  /** Epoch ms of the last health change (or of the start). */
  since: number;
  /** Consecutive good rounds. */
  riseCount: number;
  /** Consecutive failed rounds. */
  fallCount: number;
  /** Why the tunnel has its current health. */
  reason: string;
}

export interface HealthChange {
  from: TrackedHealth;
  to: Health;
  at: number;
  reason: string;
}

export interface RoundOutcome {
  ok: boolean;
  /** Short reason for a failed round ("2/2 probes failed: timeout"). */
  detail?: string;
  /** What is known to stop the tunnel (a certificate fault): the down reason leads with it. */
  cause?: string;
}

export class HealthTracker {
  private current: HealthState;

  constructor(
    private readonly thresholds: { rise: number; fall: number },
    startedAt: number,
  ) {
    this.current = {
      health: 'unknown',
      since: startedAt,
      riseCount: 0,
      fallCount: 0,
      reason: 'monitor started',
    };
  }

  state(): HealthState {
    return { ...this.current };
  }

  /** Records one probe round; returns the change when this round flips the health. */
  record(round: RoundOutcome, at: number): HealthChange | null {
    const s = this.current;
    if (round.ok) {
      s.riseCount += 1;
      s.fallCount = 0;
      if (s.health !== 'up' && s.riseCount >= this.thresholds.rise) {
        return this.flip(
          'up',
          `${s.riseCount} consecutive good probe rounds (rise ${this.thresholds.rise})`,
          at,
        );
      }
    } else {
      s.fallCount += 1;
      s.riseCount = 0;
      if (s.health !== 'down' && s.fallCount >= this.thresholds.fall) {
        const why = round.detail ? `: ${round.detail}` : '';
        const rounds = `${s.fallCount} consecutive failed probe rounds (fall ${this.thresholds.fall})`;
        return this.flip('down', round.cause ? `${round.cause}; ${rounds}` : `${rounds}${why}`, at);
      }
    }
    return null;
  }

  /** The server is stopping (openvpn gone or the container told to stop): down now, not after `fall` rounds. */
  stopping(reason: string, at: number): HealthChange | null {
    this.current.riseCount = 0;
    if (this.current.health === 'down') return null;
    return this.flip('down', reason, at);
  }

  private flip(to: Health, reason: string, at: number): HealthChange {
    const from = this.current.health;
    this.current = { ...this.current, health: to, since: at, reason };
    return { from, to, at, reason };
  }
}
