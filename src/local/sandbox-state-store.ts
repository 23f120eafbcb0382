import type { Store } from '../ports/store.js';
import type { SandboxState } from './sandbox-account.js';

const NS = 'sandbox-account';
const KEY = 'state';

/**
 * The simulated account's own state (routes, chaos) in the store, so a restarted sandbox shows the same world
 * its history describes. This record plays the part of EC2's route tables: it is the sandbox's source of truth.
 */
export async function loadSandboxState(store: Store): Promise<SandboxState | null> {
  const rec = await store.get<SandboxState>(NS, KEY);
  const v = rec?.value;
  return v && typeof v.routes === 'object' && typeof v.tunnels === 'object' ? v : null;
}

export function sandboxStateSaver(store: Store): (state: SandboxState) => Promise<void> {
  return async (state) => {
    await store.put(NS, KEY, state);
  };
}
