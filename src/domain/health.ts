import type { AlarmSummary, InstanceState, ProbeStats, TunnelTaskState } from './observations.js';
import type { Outcome } from './outcome.js';

export type Health = 'healthy' | 'degraded' | 'down' | 'unknown';

export const HEALTHS: readonly Health[] = ['healthy', 'degraded', 'down', 'unknown'];

/**
 * What the tunnel's monitor last said (store namespace 'heartbeat', key tunnelKey). Optional: the
 * controller writes it; status only trusts it while fresh, since CloudWatch stats lag by a minute.
 */
export interface MonitorHeartbeat {
  health: Health;
  /** ISO time or epoch ms of the beat. */
  at: string | number;
  reason?: string;
  /** A certificate that stops the tunnel (its monitor says so): down with that reason, or degraded while it still passes traffic. */
  certFault?: string;
}

export interface HealthThresholds {
  /** Mean loss over the window above this (percent) is degraded. */
  maxLossPct: number;
  /** Mean latency above this (ms) is degraded. */
  maxLatencyMs: number;
  /** A heartbeat older than this is ignored. */
  heartbeatStaleMs: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  maxLossPct: 2,
  maxLatencyMs: 150,
  heartbeatStaleMs: 10_000,
};

export interface HealthInput {
  probe: Outcome<ProbeStats>;
  task: Outcome<TunnelTaskState>;
  instance: Outcome<InstanceState>;
  alarms: Outcome<AlarmSummary[]>;
  heartbeat?: MonitorHeartbeat | null;
  /** Needed to judge heartbeat freshness. */
  nowMs?: number;
}

export interface HealthVerdict {
  health: Health;
  /** One line, for Slack and the API. */
  reason: string;
}

const pct = (n: number): string => `${n.toFixed(1)}%`;

/** Classifies one tunnel. Evidence of "down" beats "degraded", which beats "unknown". Pure. */
export function classifyHealth(
  input: HealthInput,
  thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
): HealthVerdict {
  const { probe, task, instance, alarms } = input;
  const beat = freshHeartbeat(input, thresholds);
  const beatWhy = (h: string) => `monitor reports ${h}${beat?.reason ? `: ${beat.reason}` : ''}`;

  if (instance.ok && instance.value.state !== 'running') {
    return down(`instance ${instance.value.instanceId} is ${instance.value.state}`);
  }
  if (task.ok && task.value.running === 0) {
    const why = task.value.lastStopReason ? ` (last stop: ${task.value.lastStopReason})` : '';
    return down(`no ECS task running (${task.value.desired} desired)${why}`);
  }
  // The cause, when the monitor knows it, says more than the lost probes it explains.
  if (beat?.health === 'down' && beat.certFault) return down(beatWhy('down'));
  if (probe.ok && probe.value.recentLossPct === 100) return down('every probe lost in the last minute');
  if (beat?.health === 'down') return down(beatWhy('down'));

  const degraded: string[] = [];
  if (probe.ok && probe.value.samples > 0) {
    const { lossPct, latencyMs } = probe.value;
    if (lossPct !== null && lossPct > thresholds.maxLossPct)
      degraded.push(`probe loss ${pct(lossPct)} over 5 min`);
    if (latencyMs !== null && latencyMs > thresholds.maxLatencyMs)
      degraded.push(`latency ${Math.round(latencyMs)} ms`);
  }
  if (alarms.ok) {
    for (const a of alarms.value) if (a.state === 'ALARM') degraded.push(`alarm ${a.name} in ALARM`);
  }
  if (task.ok && task.value.running < task.value.desired) {
    degraded.push(`${task.value.running}/${task.value.desired} ECS tasks running`);
  }
  if (beat?.health === 'degraded') degraded.push(beatWhy('degraded'));
  // Refused at the next handshake or renegotiation: not a tunnel to fail over onto.
  if (beat?.certFault) degraded.push(beat.certFault);
  if (degraded.length) return { health: 'degraded', reason: degraded.join('; ') };

  if (!probe.ok) {
    if (beat?.health === 'healthy')
      return { health: 'healthy', reason: `${beatWhy('healthy')} (probe stats unknown)` };
    return { health: 'unknown', reason: `probe stats unknown, because ${probe.reason}` };
  }
  if (probe.value.samples === 0 || probe.value.lossPct === null) {
    if (beat?.health === 'healthy') return { health: 'healthy', reason: beatWhy('healthy') };
    return { health: 'unknown', reason: 'no probe samples in the last 5 minutes' };
  }
  const latency = probe.value.latencyMs === null ? '' : `, ${Math.round(probe.value.latencyMs)} ms`;
  return { health: 'healthy', reason: `probes ${pct(probe.value.lossPct)} loss${latency}` };
}

const down = (reason: string): HealthVerdict => ({ health: 'down', reason });

function freshHeartbeat(input: HealthInput, thresholds: HealthThresholds): MonitorHeartbeat | null {
  const beat = input.heartbeat;
  if (!beat || input.nowMs === undefined || !(HEALTHS as readonly string[]).includes(beat.health))
    return null;
  const at = typeof beat.at === 'number' ? beat.at : Date.parse(beat.at);
  if (!Number.isFinite(at) || input.nowMs - at > thresholds.heartbeatStaleMs) return null;
  return beat;
}

/**
 * Tolerant reader for heartbeat records written by other code: the monitor writes
 * `{health: 'up'|'down', at, since, lossPct, ...}`; a Health word is accepted too.
 */
export function asHeartbeat(value: unknown): MonitorHeartbeat | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const health = v.health === 'up' ? 'healthy' : v.health;
  if (typeof health !== 'string' || !(HEALTHS as readonly string[]).includes(health)) return null;
  if (typeof v.at !== 'string' && typeof v.at !== 'number') return null;
  const details = [
    typeof v.since === 'string' ? `since ${v.since}` : '',
    typeof v.lossPct === 'number' ? `${v.lossPct.toFixed(0)}% probe loss` : '',
  ].filter(Boolean);
  const certFault = typeof v.certFault === 'string' ? v.certFault.slice(0, 300) : undefined;
  const reason = certFault ?? (typeof v.reason === 'string' ? v.reason : details.join(', '));
  return {
    health: health as Health,
    at: v.at,
    ...(reason ? { reason } : {}),
    ...(certFault ? { certFault } : {}),
  };
}
