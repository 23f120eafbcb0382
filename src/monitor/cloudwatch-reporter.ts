import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '../log.js';
import { METRIC_NAMESPACE } from '../ports/metrics.js';
import type { HealthReporter, ProbeRound } from './health-reporter.js';

/** The part of CloudWatchClient the reporter uses (so tests can pass a mock). */
export interface CloudWatchSender {
  send(command: PutMetricDataCommand): Promise<unknown>;
}

export interface CloudWatchReporterProps {
  client: CloudWatchSender;
  log: Logger;
  namespace?: string;
  /** Datums are buffered and sent every this many ms (and on flush). */
  flushIntervalMs?: number;
  /** PutMetricData takes up to 1000 datums per call. */
  maxDatumsPerCall?: number;
  /** Buffer cap while CloudWatch is unreachable; the oldest datums are dropped beyond it. */
  maxBuffered?: number;
}

/**
 * High-resolution (1 s) metrics TunnelUp, ProbeLossPct, ProbeLatencyMs with dimensions Site/Tunnel,
 * batched: one PutMetricData per flush interval rather than one call per probe.
 */
export class CloudWatchReporter implements HealthReporter {
  private buffer: MetricDatum[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly namespace: string;
  private readonly maxPerCall: number;
  private readonly maxBuffered: number;

  constructor(private readonly props: CloudWatchReporterProps) {
    this.namespace = props.namespace ?? METRIC_NAMESPACE;
    this.maxPerCall = props.maxDatumsPerCall ?? 1000;
    this.maxBuffered = props.maxBuffered ?? 20_000;
  }

  /** Starts the periodic flush (unref'd: it never keeps a process alive by itself). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.props.flushIntervalMs ?? 10_000);
    this.timer.unref();
  }

  async round(round: ProbeRound): Promise<void> {
    const Timestamp = new Date(round.at);
    const Dimensions = [
      { Name: 'Site', Value: round.site },
      { Name: 'Tunnel', Value: round.tunnel },
    ];
    const datum = (MetricName: string, Value: number, Unit: MetricDatum['Unit']): MetricDatum => ({
      MetricName,
      Dimensions,
      Timestamp,
      Value,
      Unit,
      StorageResolution: 1,
    });
    this.buffer.push(datum('TunnelUp', round.state.health === 'up' ? 1 : 0, 'Count'));
    this.buffer.push(datum('ProbeLossPct', round.lossPct, 'Percent'));
    if (round.latencyMs !== null) this.buffer.push(datum('ProbeLatencyMs', round.latencyMs, 'Milliseconds'));
    if (this.buffer.length > this.maxBuffered) this.buffer.splice(0, this.buffer.length - this.maxBuffered);
  }

  async changed(): Promise<void> {}

  /** Sends everything buffered; flushes never overlap. A failed batch is put back for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.sendAll());
    return this.flushing;
  }

  /** Stops the timer and sends what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async sendAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxPerCall);
      try {
        await this.props.client.send(
          new PutMetricDataCommand({ Namespace: this.namespace, MetricData: batch }),
        );
      } catch (err) {
        this.buffer.unshift(...batch);
        this.props.log.warn(
          { err, datums: batch.length },
          'PutMetricData failed; keeping the datums for the next flush',
        );
        return;
      }
    }
  }
}
