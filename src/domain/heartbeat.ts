import type { PeerView } from './peer-view.js';
import type { CertId } from './rotation-plan.js';

export const HEARTBEAT_NS = 'heartbeat';
export const heartbeatKey = (site: string, tunnel: string): string => `${site}/${tunnel}`;

/** What the monitor leaves in the store (namespace 'heartbeat', key "site/tunnel"); the controller reads it. */
export interface Heartbeat {
  site: string;
  tunnel: string;
  health: 'up' | 'down';
  /** ISO time of the last health change. */
  since: string;
  /** ISO time this heartbeat was written. */
  at: string;
  lossPct: number;
  latencyMs: number | null;
  fallCount: number;
  riseCount: number;
  /** This monitor's direct probe of the other server's host (absent when it has no peer to watch). */
  peer?: PeerView;
  /**
   * The monitor's goodbye: its server is stopping (health is 'down'). Deciders take it as down whatever its age,
   * until a newer heartbeat replaces it: read late, it is no silent monitor. Absent on every other heartbeat.
   */
  goodbye?: true;
  /** A certificate that stops this tunnel (expired, not yet valid, revoked, wrong CA; domain/cert-expiry.ts). */
  certFault?: string;
  /** The server certificate this tunnel's server loaded (read when it and its monitor started); rotation checks it. */
  serverCert?: CertId;
  /** The server certificate on the host's disk now, what its next start loads (a newly published one, installed). */
  stagedCert?: CertId;
}
