import {
  type CompositeAlarm,
  DescribeAlarmsCommand,
  GetMetricWidgetImageCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import type { AlarmSummary, ProbeStats } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { METRIC_NAMESPACE, type Metrics } from '../ports/metrics.js';
import { alarmsByTunnel } from './alarm-mapping.js';
import type { AwsClients } from './clients.js';
import { MetricBatch, type TunnelSeries } from './metric-batch.js';
import { emptySeries, probeStatsOf, type Series } from './probe-series.js';
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

  async healthGraph(site: Site): Promise<Buffer | null> {
    const metrics = site.tunnels.flatMap((t) => [
      [METRIC_NAMESPACE, 'ProbeLossPct', 'Site', site.name, 'Tunnel', t.name, { label: `${t.name} loss %` }],
      [
        METRIC_NAMESPACE,
        'ProbeLatencyMs',
        'Site',
        site.name,
        'Tunnel',
        t.name,
        { label: `${t.name} latency ms`, yAxis: 'right' },
      ],
    ]);
    const widget = {
      title: `${site.name}: probe loss and latency`,
      view: 'timeSeries',
      stacked: false,
      region: site.region,
      start: '-PT3H',
      end: 'P0D',
      period: PERIOD_S,
      width: 800,
      height: 400,
      metrics,
      yAxis: { left: { min: 0, max: 100, label: 'loss %' }, right: { min: 0, label: 'ms' } },
    };
    try {
      const out = await this.props.clients
        .cloudwatch(site.region)
        .send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: 'png' }));
      return out.MetricWidgetImage?.length ? Buffer.from(out.MetricWidgetImage) : null;
    } catch (err) {
      this.props.log.warn({ err, site: site.name }, 'health graph unavailable');
      return null;
    }
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
  const value = (s: Outcome<Series>): Series => (s.ok ? s.value : emptySeries());
  return ok(probeStatsOf(value(loss), value(count), value(latency), endMs, 2 * PERIOD_S * 1000));
}
