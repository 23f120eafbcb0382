/**
 * Where a process can be asked "are you still there?": a TCP listener it opens at start and holds for its whole
 * life, answering each connection with its instance id. A lease holder puts its address on the lease, so a
 * peer can tell a dead holder from a slow one in one round trip instead of waiting out the lease.
 */
export interface LivenessAddress {
  host: string;
  port: number;
  /** Unique per process start: a restarted process on the same address is another holder. */
  instance: string;
}

/**
 * 'dead': the holder's host answered and nobody listens there any more (connection refused), or another
 * instance does; that process can issue no further call. 'unknown': no answer (host down, path cut, timeout):
 * only the lease's expiry settles it.
 */
export type Liveness = 'alive' | 'dead' | 'unknown';

export interface ProcessLiveness {
  check(at: LivenessAddress): Promise<Liveness>;
  /**
   * Resolves once the process may have ended: its connection closed or failed, or it could not be opened.
   * Resolves after maxMs, or when `signal` aborts, in any case; the caller checks again either way.
   */
  watch(at: LivenessAddress, maxMs: number, signal?: AbortSignal): Promise<void>;
}
