import type { CompositeAlarm, Dimension, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import { ALARM_NAME_PREFIX } from '../domain/alarm-mapping.js';
import type { AlarmSummary } from '../domain/observations.js';
import { tunnelKey } from '../domain/topology.js';

/** Alarms name their tunnel by name (`tunnelops-<site>-<tunnel>-...`) or by Site/Tunnel dimensions. */
const alarmNamePrefix = (site: string, tunnel: string): string => `${ALARM_NAME_PREFIX}${site}-${tunnel}-`;

const STATES = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

function dimensionSets(a: MetricAlarm): Dimension[][] {
  const sets = [a.Dimensions ?? []];
  for (const m of a.Metrics ?? [])
    if (m.MetricStat?.Metric?.Dimensions) sets.push(m.MetricStat.Metric.Dimensions);
  return sets;
}

const hasDims = (dims: Dimension[], site: string, tunnel: string): boolean =>
  dims.some((d) => d.Name === 'Site' && d.Value === site) &&
  dims.some((d) => d.Name === 'Tunnel' && d.Value === tunnel);

export function summarize(a: MetricAlarm | CompositeAlarm): AlarmSummary {
  const state = STATES.has(a.StateValue ?? '')
    ? (a.StateValue as AlarmSummary['state'])
    : 'INSUFFICIENT_DATA';
  return {
    name: a.AlarmName ?? '',
    state,
    reason: a.StateReason ?? '',
    since: (a.StateUpdatedTimestamp ?? a.StateTransitionedTimestamp)?.toISOString() ?? '',
  };
}

/** Every tunnel of the sites gets its alarms (an empty list when none refer to it). Keyed by tunnelKey. */
export function alarmsByTunnel(
  sites: readonly Site[],
  metricAlarms: readonly MetricAlarm[],
  compositeAlarms: readonly CompositeAlarm[],
): Map<string, AlarmSummary[]> {
  const result = new Map<string, AlarmSummary[]>();
  for (const site of sites) {
    for (const t of site.tunnels) {
      const prefix = alarmNamePrefix(site.name, t.name);
      const byName = (a: { AlarmName?: string }) => a.AlarmName?.startsWith(prefix) ?? false;
      const mine = [
        ...metricAlarms.filter(
          (a) => byName(a) || dimensionSets(a).some((d) => hasDims(d, site.name, t.name)),
        ),
        ...compositeAlarms.filter(byName),
      ];
      result.set(tunnelKey(site.name, t.name), mine.map(summarize));
    }
  }
  return result;
}
