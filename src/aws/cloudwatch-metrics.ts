import { type CompositeAlarm, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import type { AlarmSummary, ProbePoint, ProbeStats } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { Metrics } from '../ports/metrics.js';
import { alarmsByTunnel } from './alarm-mapping.js';
import type { AwsClients } from './clients.js';
import { MetricBatch, type TunnelSeries } from './metric-batch.js';
import { emptySeries, probePointsOf, probeStatsOf, type Series } from './probe-series.js';
import { PERIOD_S } from './status-queries.js';

export interface CloudWatchMetricsProps {
  clients: AwsClients;
  clock: Clock;
  log: Logger;
  /** Shared with EcsTasks so probe stats and task counts come from one GetMetricData per region. */
  batch?: MetricBatch;
}

/** CloudWatch: probe stats with one GetMetricData per region, alarms with one DescribeAlarms per region. */
export class CloudWatchMetrics implements Metrics {
  private readonly batch: MetricBatch;

  constructor(private readonly props: CloudWatchMetricsProps) {
    this.batch = props.batch ?? new MetricBatch({ clients: props.clients, clock: props.clock });
  }

  async probeStats(sites: readonly Site[], windowMinutes: number): Promise<Map<string, Outcome<ProbeStats>>> {
    const result = new Map<string, Outcome<ProbeStats>>();
    await Promise.all(
      [...sitesByRegion(sites)].map(async ([region, regionSites]) => {
        const { endMs, tunnels } = await this.batch.fetch(region, regionSites, windowMinutes);
        for (const [key, series] of tunnels)
          result.set(key, series.ok ? statsOf(series.value, endMs) : series);
      }),
    );
    return result;
  }

  async alarms(sites: readonly Site[]): Promise<Map<string, Outcome<AlarmSummary[]>>> {
    const result = new Map<string, Outcome<AlarmSummary[]>>();
    await Promise.all(
      [...sitesByRegion(sites)].map(async ([region, regionSites]) => {
        try {
          const { metric, composite } = await this.describeAlarms(region);
          for (const [key, alarms] of alarmsByTunnel(regionSites, metric, composite))
            result.set(key, ok(alarms));
        } catch (err) {
          for (const s of regionSites)
            for (const t of s.tunnels) result.set(tunnelKey(s.name, t.name), unknown(reasonOf(err)));
        }
      }),
    );
    return result;
  }

  /** The probe series come from the same GetMetricData batch as the status (one call, or a cached answer). */
  async probeSeries(site: Site, minutes: number): Promise<Map<string, Outcome<ProbePoint[]>>> {
    const { tunnels } = await this.batch.fetch(site.region, [site], minutes);
    const result = new Map<string, Outcome<ProbePoint[]>>();
    for (const t of site.tunnels) {
      const series = tunnels.get(tunnelKey(site.name, t.name)) ?? unknown('CloudWatch returned no result');
      if (!series.ok) result.set(t.name, series);
      else if (series.value.loss && !series.value.loss.ok) result.set(t.name, series.value.loss);
      else
        result.set(t.name, ok(probePointsOf(okOrEmpty(series.value.loss), okOrEmpty(series.value.latency))));
    }
    return result;
  }

  private async describeAlarms(
    region: string,
  ): Promise<{ metric: MetricAlarm[]; composite: CompositeAlarm[] }> {
    const cw = this.props.clients.cloudwatch(region);
    const metric: MetricAlarm[] = [];
    const composite: CompositeAlarm[] = [];
    let NextToken: string | undefined;
    do {
      const page = await cw.send(
        new DescribeAlarmsCommand({
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          NextToken,
        }),
      );
      metric.push(...(page.MetricAlarms ?? []));
      composite.push(...(page.CompositeAlarms ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return { metric, composite };
  }
}

function statsOf(series: TunnelSeries, endMs: number): Outcome<ProbeStats> {
  const get = (s: Outcome<Series> | undefined) => s ?? unknown<Series>('no result');
  const [loss, count, latency] = [get(series.loss), get(series.count), get(series.latency)];
  for (const s of [loss, count, latency]) if (!s.ok) return unknown(s.reason);
  return ok(probeStatsOf(okOrEmpty(loss), okOrEmpty(count), okOrEmpty(latency), endMs, 2 * PERIOD_S * 1000));
}

const okOrEmpty = (s: Outcome<Series> | undefined): Series => (s?.ok ? s.value : emptySeries());
