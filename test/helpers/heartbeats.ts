import { HEARTBEAT_NS, type Heartbeat } from '../../src/domain/heartbeat.js';
import type { Store } from '../../src/ports/store.js';

/** What a tunnel's monitor last wrote: up (clean probes) or down (past the fall threshold of 3). */
export function heartbeat(tunnel: string, health: 'up' | 'down', atMs: number, site = 'dc1'): Heartbeat {
  const at = new Date(atMs).toISOString();
  return {
    site,
    tunnel,
    health,
    since: at,
    at,
    lossPct: health === 'up' ? 0 : 100,
    latencyMs: health === 'up' ? 4 : null,
    fallCount: health === 'down' ? 3 : 0,
    riseCount: health === 'up' ? 5 : 0,
  };
}

/** Writes the heartbeat where the monitor would (`<site>/<tunnel>`), optionally with a TTL. */
export async function putHeartbeat(store: Store, beat: Heartbeat, ttlMs?: number): Promise<void> {
  await store.put(HEARTBEAT_NS, `${beat.site}/${beat.tunnel}`, beat, ttlMs);
}
