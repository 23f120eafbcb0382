import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { silentLogger } from '../../../src/log.js';
import { CloudWatchReporter } from '../../../src/monitor/cloudwatch-reporter.js';
import type { ProbeRound } from '../../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';
import type { Store } from '../../../src/ports/store.js';

export interface RoundsSpec {
  site: string;
  tunnel: string;
  up: boolean;
  /** One round per second, the last one 2 s ago. */
  count: number;
  lossPct: number;
  latencyMs: number | null;
}

/**
 * What a tunnel's monitor reports after `count` one-second probe rounds, through its real reporters: the
 * high-resolution metrics (PutMetricData) and the heartbeat in the shared store.
 */
export async function reportRounds(deps: { cloudwatch: CloudWatchClient; store: Store }, spec: RoundsSpec) {
  const log = silentLogger();
  const metrics = new CloudWatchReporter({ client: deps.cloudwatch, log });
  const heartbeat = new HeartbeatReporter({ store: deps.store, log });
  // The last round 2 s back: moto buckets GetMetricData by whole seconds from the query's start, so a
  // sample in the query's last second can fall outside its final period (seen: 19 of 20 samples).
  const now = Date.now() - 2000;
  const since = now - spec.count * 1000;
  for (let i = spec.count - 1; i >= 0; i--) {
    const n = spec.count - i;
    const round: ProbeRound = {
      site: spec.site,
      tunnel: spec.tunnel,
      at: now - i * 1000,
      results: [],
      lossPct: spec.lossPct,
      latencyMs: spec.latencyMs,
      state: {
        health: spec.up ? 'up' : 'down',
        since,
        riseCount: spec.up ? n : 0,
        fallCount: spec.up ? 0 : n,
        reason: spec.up ? 'probes answer' : 'probes fail',
      },
    };
    await metrics.round(round);
    await heartbeat.round(round);
  }
  await metrics.stop();
}
