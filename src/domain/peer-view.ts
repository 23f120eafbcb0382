import type { FailoverSettings } from '../config/topology-schema.js';

/**
 * What one server's monitor sees of the other server's host: a direct probe of the peer host on the VPC side
 * (ICMP to its ENI address), counted like the tunnel probes. It travels in the observer's heartbeat, so every
 * decider (the fast path in either monitor, the backstop Lambda) reads the same fact from the store.
 */
export interface PeerView {
  /** The tunnel whose host was probed. */
  tunnel: string;
  /** Consecutive failed probes of the peer host (0 after one answer). */
  failCount: number;
  /** Consecutive answered probes. */
  okCount: number;
  /** ISO time of the last probe. */
  at: string;
}

/** The peer host as a decider sees it: answering, not answering for `fall` probes, or no telling. */
export type HostReach = 'reachable' | 'unreachable' | 'unknown';

export function hostReach(view: PeerView | undefined, fall: number): HostReach {
  if (!view) return 'unknown';
  if (view.failCount >= fall) return 'unreachable';
  return view.okCount > 0 ? 'reachable' : 'unknown';
}

/**
 * A monitor writes a heartbeat every probe round; after `fall` rounds without one it counts as silent. With the
 * peer host not answering either, that is the host gone (fail over in seconds); with the host answering it is
 * the monitor alone (alert, no failover). heartbeatStaleSeconds stays the longer limit for deciders that have
 * no view of the host.
 */
export const silentAfterMs = (s: Pick<FailoverSettings, 'fall' | 'probeIntervalSeconds'>): number =>
  s.fall * s.probeIntervalSeconds * 1000;

/** The observer's verdict on its peer, from the peer's heartbeat age and the direct probe. */
export type PeerVerdict = 'alive' | 'host-dead' | 'monitor-silent' | 'partition';

export function peerVerdict(
  heartbeatAgeMs: number | null,
  reach: HostReach,
  s: Pick<FailoverSettings, 'fall' | 'probeIntervalSeconds'>,
): PeerVerdict {
  // A peer that never reported (everything starting at once) is no evidence, as in the policy.
  const silent = heartbeatAgeMs !== null && heartbeatAgeMs > silentAfterMs(s);
  if (silent)
    return reach === 'unreachable' ? 'host-dead' : reach === 'reachable' ? 'monitor-silent' : 'alive';
  return reach === 'unreachable' ? 'partition' : 'alive';
}
