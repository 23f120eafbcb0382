import type { Site } from '../config/topology-schema.js';
import type { AlarmSummary, ProbePoint, ProbeStats } from '../domain/observations.js';
import { type Outcome, ok } from '../domain/outcome.js';
import { tunnelKey } from '../domain/topology.js';
import type { Clock } from '../ports/clock.js';
import type { Metrics } from '../ports/metrics.js';
import { type SandboxTunnels, sandboxNoise } from './sandbox-tunnels.js';

/** The simulated "tunnel down" alarm fires after this long down (like a 10 x 1 s high-resolution alarm). */
const ALARM_AFTER_MS = 10_000;
/** Jitter changes every 10 s of clock time, so two reads close together agree. */
const JITTER_BUCKET_MS = 10_000;
/** The health graph's period: finer than CloudWatch's 60 s, so a chaos break shows within seconds. */
const SERIES_PERIOD_MS = 20_000;

/**
 * Probe figures derived from each tunnel's up/down history: a broken tunnel loses every probe now and
 * shows its down time in the 5-minute loss; a healthy one has a little loss and latency jitter.
 */
export function createSandboxMetrics(tunnels: SandboxTunnels, clock: Clock): Metrics {
  return {
    async probeStats(sites, windowMinutes) {
      return perTunnel(sites, (site, tunnel, i) =>
        ok(stats(tunnels, clock.now(), site, tunnel, i, windowMinutes)),
      );
    },
    async alarms(sites) {
      return perTunnel(sites, (site, tunnel) => ok([alarm(tunnels, clock.now(), site, tunnel)]));
    },
    async probeSeries(site, minutes) {
      const out = new Map<string, Outcome<ProbePoint[]>>();
      const now = clock.now();
      site.tunnels.forEach((t, index) => {
        out.set(t.name, ok(series(tunnels, now, tunnelKey(site.name, t.name), index, minutes)));
      });
      return out;
    },
  };
}

function stats(
  tunnels: SandboxTunnels,
  now: number,
  site: Site,
  tunnel: string,
  index: number,
  windowMinutes: number,
): ProbeStats {
  const key = tunnelKey(site.name, tunnel);
  const windowMs = windowMinutes * 60_000;
  const noise = sandboxNoise(`${key}:${Math.floor(now / JITTER_BUCKET_MS)}`);
  const downFrac = tunnels.downMs(key, now - windowMs, now) / windowMs;
  const recentDownFrac = tunnels.downMs(key, now - 60_000, now) / 60_000;
  const baseLoss = noise * 0.5;
  const up = tunnels.isUp(key);
  return {
    lossPct: round(downFrac * 100 + (1 - downFrac) * baseLoss),
    recentLossPct: up ? round(recentDownFrac * 100 + (1 - recentDownFrac) * baseLoss) : 100,
    latencyMs: downFrac >= 1 ? null : round(18 + index * 5 + noise * 4),
    samples: Math.round((windowMinutes * 60) / site.failover.probeIntervalSeconds),
  };
}

/** The tunnel's "down" alarm: in ALARM once it has been down ALARM_AFTER_MS. */
function alarm(tunnels: SandboxTunnels, now: number, site: Site, tunnel: string): AlarmSummary {
  const key = tunnelKey(site.name, tunnel);
  const since = tunnels.since(key);
  const firing = !tunnels.isUp(key) && now - since >= ALARM_AFTER_MS;
  return {
    name: `tunnelops-${site.name}-${tunnel}-down`,
    state: firing ? 'ALARM' : 'OK',
    reason: firing
      ? 'Threshold Crossed: 10 datapoints of TunnelUp were less than the threshold (1.0)'
      : 'Threshold Crossed: TunnelUp was not less than the threshold (1.0)',
    since: new Date(firing ? since + ALARM_AFTER_MS : since).toISOString(),
  };
}

/** The health graph's points for one tunnel: loss and latency per SERIES_PERIOD_MS over the last `minutes`. */
function series(
  tunnels: SandboxTunnels,
  now: number,
  key: string,
  index: number,
  minutes: number,
): ProbePoint[] {
  const periods = Math.ceil((minutes * 60_000) / SERIES_PERIOD_MS);
  const first = now - (now % SERIES_PERIOD_MS) - (periods - 1) * SERIES_PERIOD_MS;
  const points: ProbePoint[] = [];
  for (let at = first; at <= now; at += SERIES_PERIOD_MS) {
    const end = Math.min(at + SERIES_PERIOD_MS, now);
    const downFrac = end > at ? tunnels.downMs(key, at, end) / (end - at) : tunnels.isUp(key) ? 0 : 1;
    const noise = sandboxNoise(`${key}:${Math.floor(at / JITTER_BUCKET_MS)}`);
    points.push({
      at,
      lossPct: round(downFrac * 100 + (1 - downFrac) * noise * 0.5),
      latencyMs: downFrac >= 1 ? null : round(18 + index * 5 + noise * 4),
    });
  }
  return points;
}

function perTunnel<T>(sites: readonly Site[], fn: (site: Site, tunnel: string, index: number) => Outcome<T>) {
  const out = new Map<string, Outcome<T>>();
  for (const site of sites) {
    for (const [i, t] of site.tunnels.entries()) out.set(tunnelKey(site.name, t.name), fn(site, t.name, i));
  }
  return out;
}

const round = (n: number): number => Math.round(n * 100) / 100;
