/**
 * Why an action was refused before it changed anything. Callers decide on the code, never on the message
 * (the message is for people and may be reworded).
 */
export type RefusalCode =
  /** The target already carries every route: nothing to move. */
  | 'already-active'
  /** The target tunnel is not healthy (or its health cannot be read): moving onto it would not help. */
  | 'target-unhealthy'
  /** Another run holds the site's lease. */
  | 'locked'
  /** The plan names a tunnel the site does not have. */
  | 'unknown-tunnel'
  /** The route tables could not be read, so what would change is unknown. */
  | 'routes-unreadable'
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
