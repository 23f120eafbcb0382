import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { tunnelKey } from '../domain/topology.js';
import type { Clock } from '../ports/clock.js';
import { chunks } from './chunks.js';
import type { AwsClients } from './clients.js';
import { emptySeries, type Series } from './probe-series.js';
import {
  MAX_QUERIES,
  queriesPerTunnel,
  queryId,
  type SeriesName,
  seriesNames,
  type TunnelRef,
  taskCountsFromMetrics,
  tunnelQueries,
} from './status-queries.js';

/** Each series of a tunnel, or why CloudWatch could not give it. */
export type TunnelSeries = Partial<Record<SeriesName, Outcome<Series>>>;

export interface RegionMetrics {
  /** End of the window the series cover. */
  endMs: number;
  /** Whether the ECS task counts were asked for (see taskCountsFromMetrics). */
  withTasks: boolean;
  /** By tunnelKey; a failed call makes its tunnels unknown. */
  tunnels: Map<string, Outcome<TunnelSeries>>;
}

export interface MetricBatchProps {
  clients: AwsClients;
  clock: Clock;
  /** How long a finished answer is reused; callers arriving while a call is in flight always share it. */
  ttlMs?: number;
}

const DEFAULT_TTL_MS = 5000;

/**
 * The status metrics of a region's sites in one GetMetricData (more only past 500 queries), shared by
 * the adapters that need them: CloudWatchMetrics.probeStats and EcsTasks.observe, called together by
 * the status service, get one call between them. Failed answers are not kept past their call.
 */
export class MetricBatch {
  private readonly cache = new Map<string, { at: number; answer: Promise<RegionMetrics> }>();

  constructor(private readonly props: MetricBatchProps) {}

  fetch(region: string, regionSites: readonly Site[], windowMinutes: number): Promise<RegionMetrics> {
    const now = this.props.clock.now();
    const ttl = this.props.ttlMs ?? DEFAULT_TTL_MS;
    for (const [k, e] of this.cache) if (now - e.at > ttl) this.cache.delete(k);
    const withTasks = taskCountsFromMetrics(regionSites);
    const tunnels: TunnelRef[] = regionSites.flatMap((s) =>
      s.tunnels.map((t) => ({
        site: s.name,
        tunnel: t.name,
        cluster: t.ecs.cluster,
        service: t.ecs.service,
      })),
    );
    const key = JSON.stringify([region, windowMinutes, withTasks, tunnels]);
    const cached = this.cache.get(key);
    if (cached) return cached.answer;
    const answer = this.load(region, tunnels, withTasks, windowMinutes, now);
    this.cache.set(key, { at: now, answer });
    void answer.then((a) => {
      if ([...a.tunnels.values()].some((t) => !t.ok)) this.cache.delete(key);
    });
    return answer;
  }

  private async load(
    region: string,
    tunnels: TunnelRef[],
    withTasks: boolean,
    windowMinutes: number,
    endMs: number,
  ): Promise<RegionMetrics> {
    const window = { StartTime: new Date(endMs - windowMinutes * 60_000), EndTime: new Date(endMs) };
    const result = new Map<string, Outcome<TunnelSeries>>();
    const perCall = Math.floor(MAX_QUERIES / queriesPerTunnel(withTasks));
    await Promise.all(
      chunks(tunnels, perCall).map(async (batch) => {
        const queries = batch.flatMap((t, i) => tunnelQueries(t, i, withTasks));
        try {
          const series = await this.metricData(region, queries, window);
          batch.forEach((t, i) => {
            const own: TunnelSeries = {};
            for (const name of seriesNames(withTasks))
              own[name] = series.get(queryId(name, i)) ?? unknown('CloudWatch returned no result');
            result.set(tunnelKey(t.site, t.tunnel), ok(own));
          });
        } catch (err) {
          for (const t of batch) result.set(tunnelKey(t.site, t.tunnel), unknown(reasonOf(err)));
        }
      }),
    );
    return { endMs, withTasks, tunnels: result };
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
}
