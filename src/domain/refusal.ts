import type { Site } from '../config/topology-schema.js';

/**
 * Why an action was refused before it changed anything. Callers decide on the code, never on the message
 * (the message is for people and may be reworded).
 */
export type RefusalCode =
  /** The target already carries every route: nothing to move. */
  | 'already-active'
  /** The target tunnel is not healthy (or its health cannot be read): moving onto it would not help. */
  | 'target-unhealthy'
  /** Another run holds the site's lease, or another request for the site is being created right now. */
  | 'locked'
  /** The site is not in the topology. */
  | 'unknown-site'
  /** The plan names a tunnel the site does not have. */
  | 'unknown-tunnel'
  /** The route tables (or, for a rotation, the certificates) could not be read, so what would change is unknown. */
  | 'routes-unreadable'
  /** No tunnel clearly carries traffic (routes split or unread), so there is no active one to move from. */
  | 'active-unknown'
  /** The action is not enabled in this process (e.g. `/vpn rotate` without certificates configured). */
  | 'not-enabled'
  /** A rotation needs a published server certificate that is missing or expired. */
  | 'cert-not-staged'
  /** Every server already runs its published certificate: nothing to rotate. */
  | 'nothing-to-rotate'
  /** A rotation of the active tunnel needs another tunnel to carry traffic meanwhile. */
  | 'no-standby'
  /** A redeploy of the tunnel that carries traffic (fail over first, or force). */
  | 'carrying-traffic';

/** Thrown by a precheck; the executor turns it into a refused result carrying the code. */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** The one wording of an 'unknown-tunnel' refusal: the name asked for, and the tunnels the site has. */
export const unknownTunnelReason = (site: Site, name: string): string =>
  `${name} is not a tunnel of ${site.name} (${site.tunnels.map((t) => t.name).join(', ')})`;
