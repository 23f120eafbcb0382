import type { Store } from '../ports/store.js';

export interface DeployLockHolder {
  pr: number;
  by: string;
  sha: string;
  repo: string;
  at: string;
}

const NS = 'deploy-lock';
/** A deploy that never reports back must not hold the environment forever. */
const TTL_MS = 2 * 60 * 60 * 1000;

/** One deploy per environment at a time; the lock lives in the store, so it survives restarts. */
export class DeployLock {
  constructor(private readonly store: Store) {}

  async holder(env: string): Promise<DeployLockHolder | null> {
    return (await this.store.get<DeployLockHolder>(NS, env))?.value ?? null;
  }

  async acquire(env: string, holder: DeployLockHolder): Promise<boolean> {
    return this.store.create(NS, env, holder, TTL_MS);
  }

  /** Releases only if `pr` holds it (a late status of an old deploy must not free someone else's lock). */
  async release(env: string, pr?: number): Promise<boolean> {
    const current = await this.store.get<DeployLockHolder>(NS, env);
    if (!current || (pr !== undefined && current.value.pr !== pr)) return false;
    return this.store.delete(NS, env, current.version);
  }
}
