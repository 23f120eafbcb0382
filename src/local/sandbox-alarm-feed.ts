import type { Topology } from '../config/topology-schema.js';
import type { AlarmSummary } from '../domain/observations.js';
import { tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import { METRIC_NAMESPACE, type Metrics } from '../ports/metrics.js';
import type { AlarmService } from '../services/alarms/alarm-service.js';

/** How often the sandbox's simulated alarms are read, as CloudWatch would evaluate and notify. */
const FEED_MS = 2_000;

/**
 * The sandbox's own alarms (e.g. tunnelops-dc1-secondary-down after a chaos break) reach the channel the way
 * a real one does: each state change becomes a CloudWatch notification `Message`, fed to the alarm service
 * (which dedupes on the MessageId and posts it). A tunnel that never alarmed posts nothing.
 */
export function startSandboxAlarmFeed(props: {
  topology: Topology;
  metrics: Metrics;
  alarms: AlarmService;
  log: Logger;
  intervalMs?: number;
}): { tick(): Promise<void>; stop(): void } {
  const { topology, metrics, alarms, log } = props;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const bySite = await metrics.alarms(topology.sites);
      for (const site of topology.sites) {
        for (const t of site.tunnels) {
          const got = bySite.get(tunnelKey(site.name, t.name));
          if (!got?.ok) continue;
          for (const a of got.value) {
            // Only the feed's own alarms (by ARN): one fed through /api/sandbox/alarm under the same name is not ours.
            const known = alarms.records.get(alarmArn(site.region, a.name));
            if (known ? known.state === a.state : a.state === 'OK') continue;
            const message = notification(a, site.name, t.name, site.region);
            await alarms.ingestMessage(`sandbox:${a.name}:${a.state}:${a.since}`, message, log);
          }
        }
      }
    } catch (err) {
      log.warn({ err }, 'could not read the sandbox alarms');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), props.intervalMs ?? FEED_MS);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}

const alarmArn = (region: string, name: string) => `arn:aws:cloudwatch:${region}:000000000000:alarm:${name}`;

/** A CloudWatch alarm notification's Message, as SNS would deliver it for this simulated alarm. */
function notification(a: AlarmSummary, site: string, tunnel: string, region: string): string {
  return JSON.stringify({
    AlarmName: a.name,
    AlarmDescription: `Sandbox: tunnel ${site}/${tunnel} is down`,
    AWSAccountId: '000000000000',
    NewStateValue: a.state,
    NewStateReason: a.reason,
    StateChangeTime: a.since,
    Region: region,
    AlarmArn: alarmArn(region, a.name),
    Trigger: {
      MetricName: 'TunnelUp',
      Namespace: METRIC_NAMESPACE,
      Dimensions: [
        { name: 'Site', value: site },
        { name: 'Tunnel', value: tunnel },
      ],
      Period: 1,
      EvaluationPeriods: 10,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    },
  });
}
