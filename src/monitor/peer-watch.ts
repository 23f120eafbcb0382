import type { Site } from '../config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../domain/heartbeat.js';
import { hostReach, type PeerVerdict, type PeerView, peerVerdict } from '../domain/peer-view.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { Prober } from './probe.js';

/** One round's look at the peer: the direct probe's counters, the peer heartbeat's age, the verdict. */
export interface PeerObservation {
  view: PeerView;
  heartbeatAgeMs: number | null;
  verdict: PeerVerdict;
  /** The health the peer's monitor last reported for its own tunnel (null: no heartbeat, or unreadable). */
  health: Heartbeat['health'] | null;
  /** That report is the peer monitor's goodbye (its server stopping): down, however old. */
  goodbye?: true;
}

export interface PeerWatchProps {
  site: Site;
  /** The other tunnel of the site: whose host is probed and whose heartbeat is read. */
  peerTunnel: string;
  /** The peer server's VPC-side address (its tunnel ENI's private IP in AWS). */
  host: string;
  /** ICMP prober run from this server's host, not through the tunnel. */
  prober: Prober;
  store: Store;
  clock: Clock;
  log: Logger;
}

/**
 * Two independent channels on the peer, each round: its heartbeat in the shared store (is its monitor alive?)
 * and a direct ICMP probe of its host over the VPC (is the host alive?). Only both failing means the host is
 * gone; see peerVerdict. A store read that fails leaves the heartbeat age unknown rather than "silent".
 */
export class PeerWatch {
  private failCount = 0;
  private okCount = 0;
  private lastAgeMs: number | null = null;
  private lastHealth: Heartbeat['health'] | null = null;
  private lastGoodbye = false;

  constructor(private readonly props: PeerWatchProps) {}

  async observe(): Promise<PeerObservation> {
    const { site, peerTunnel, host, prober, store, clock, log } = this.props;
    const [probe, beat] = await Promise.all([
      prober({ kind: 'icmp', host }),
      store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, peerTunnel)).then(
        (rec) => ({ ok: true as const, rec }),
        (err: unknown) => {
          log.warn({ err, peer: peerTunnel }, 'could not read the peer heartbeat');
          return { ok: false as const };
        },
      ),
    ]);
    if (probe.ok) {
      this.okCount += 1;
      this.failCount = 0;
    } else {
      this.failCount += 1;
      this.okCount = 0;
    }
    const now = clock.now();
    if (beat.ok) {
      this.lastAgeMs = beat.rec ? Math.max(0, now - Date.parse(beat.rec.value.at)) : null;
      this.lastHealth = beat.rec?.value.health ?? null;
      this.lastGoodbye = beat.rec?.value.goodbye === true;
    }
    const view: PeerView = {
      tunnel: peerTunnel,
      failCount: this.failCount,
      okCount: this.okCount,
      at: new Date(now).toISOString(),
    };
    const ageMs = beat.ok ? this.lastAgeMs : null;
    return {
      view,
      heartbeatAgeMs: ageMs,
      verdict: peerVerdict(ageMs, hostReach(view, site.failover.fall), site.failover),
      health: beat.ok ? this.lastHealth : null,
      ...(beat.ok && this.lastGoodbye ? { goodbye: true as const } : {}),
    };
  }
}
