import {
  type CompositeAlarm,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricWidgetImageCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { type AlarmSummary, METRIC_NAMESPACE, type Metrics, type ProbeStats } from '../ports/metrics.js';
import { alarmsByTunnel } from './alarm-mapping.js';
import { chunks } from './chunks.js';
import type { AwsClients } from './clients.js';
import { emptySeries, probeStatsOf, type Series } from './probe-series.js';

export interface CloudWatchMetricsProps {
  clients: AwsClients;
  clock: Clock;
  log: Logger;
}

/** GetMetricData takes at most 500 queries; each tunnel needs three. */
const MAX_QUERIES = 500;
const QUERIES_PER_TUNNEL = 3;
const PERIOD_S = 60;

const metric = (name: string, site: string, tunnel: string) => ({
  Namespace: METRIC_NAMESPACE,
  MetricName: name,
  Dimensions: [
    { Name: 'Site', Value: site },
    { Name: 'Tunnel', Value: tunnel },
  ],
});

const query = (Id: string, name: string, stat: string, site: string, tunnel: string): MetricDataQuery => ({
  Id,
  MetricStat: { Metric: metric(name, site, tunnel), Period: PERIOD_S, Stat: stat },
  ReturnData: true,
});

/** CloudWatch: probe stats with one GetMetricData per region, alarms with one DescribeAlarms per region. */
export class CloudWatchMetrics implements Metrics {
  constructor(private readonly props: CloudWatchMetricsProps) {}

  async probeStats(sites: readonly Site[], windowMinutes: number): Promise<Map<string, Outcome<ProbeStats>>> {
    const result = new Map<string, Outcome<ProbeStats>>();
    const endMs = this.props.clock.now();
    const window = { StartTime: new Date(endMs - windowMinutes * 60_000), EndTime: new Date(endMs) };
    const jobs: Array<Promise<void>> = [];
    for (const [region, regionSites] of sitesByRegion(sites)) {
      const tunnels = regionSites.flatMap((s) => s.tunnels.map((t) => ({ site: s.name, tunnel: t.name })));
      for (const batch of chunks(tunnels, Math.floor(MAX_QUERIES / QUERIES_PER_TUNNEL))) {
        const queries = batch.flatMap(({ site, tunnel }, i) => [
          query(`loss${i}`, 'ProbeLossPct', 'Average', site, tunnel),
          query(`count${i}`, 'ProbeLossPct', 'SampleCount', site, tunnel),
          query(`latency${i}`, 'ProbeLatencyMs', 'Average', site, tunnel),
        ]);
        const job = this.metricData(region, queries, window).then(
          (series) =>
            batch.forEach(({ site, tunnel }, i) => {
              const get = (id: string) => series.get(id) ?? unknown<Series>('no result');
              const [loss, count, latency] = [get(`loss${i}`), get(`count${i}`), get(`latency${i}`)];
              const failed = [loss, count, latency].find((s) => !s.ok);
              result.set(
                tunnelKey(site, tunnel),
                failed && !failed.ok
                  ? unknown(failed.reason)
                  : ok(probeStatsOf(value(loss), value(count), value(latency), endMs, 2 * PERIOD_S * 1000)),
              );
            }),
          (err: unknown) => {
            for (const { site, tunnel } of batch) result.set(tunnelKey(site, tunnel), unknown(reasonOf(err)));
          },
        );
        jobs.push(job);
      }
    }
    await Promise.all(jobs);
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

  /** Every page of one GetMetricData request, per query id: the series or why it failed. */
  private async metricData(
    region: string,
    queries: MetricDataQuery[],
    window: { StartTime: Date; EndTime: Date },
  ): Promise<Map<string, Outcome<Series>>> {
    const series = new Map<string, Outcome<Series>>();
    const cw = this.props.clients.cloudwatch(region);
    let NextToken: string | undefined;
    do {
      const page = await cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          ...window,
          ScanBy: 'TimestampDescending',
          NextToken,
        }),
      );
      for (const r of page.MetricDataResults ?? []) {
        if (!r.Id) continue;
        if (r.StatusCode === 'InternalError' || r.StatusCode === 'Forbidden') {
          const why = r.Messages?.map((m) => m.Value).join('; ');
          series.set(r.Id, unknown(`CloudWatch ${r.StatusCode}${why ? `: ${why}` : ''}`));
          continue;
        }
        const prev = series.get(r.Id);
        const s = prev?.ok ? prev.value : emptySeries();
        s.timestamps.push(...(r.Timestamps ?? []));
        s.values.push(...(r.Values ?? []));
        series.set(r.Id, ok(s));
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return series;
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

const value = (s: Outcome<Series>): Series => (s.ok ? s.value : emptySeries());
