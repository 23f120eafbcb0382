import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { certFix, certWhat } from '../../../src/domain/cert-expiry.js';
import { CERT_DAYS_LEFT, METRIC_NAMESPACE } from '../../../src/ports/metrics.js';
import { alarmTopic, notify } from '../common/alarm-topic.js';
import { alarmName, alarmTopicName } from '../naming.js';

/** Seconds per datapoint: the monitor publishes high-resolution (1 s) metrics, flushed every 10 s. */
export const ALARM_PERIOD_SECONDS = 10;
/**
 * TunnelUp < 1 in 3 of 3 ten-second periods, missing data breaching. The monitor flushes every 10 s and a
 * PutMetricData takes a few seconds to show, so at any evaluation the newest one or two periods may not be
 * published yet: with 2 of 2 (the old setting) a healthy tunnel alarmed on normal publish delay. The third
 * period back is always published when the monitor is alive, so 3 of 3 fires only after ~30 s of "down" or
 * of silence (a dead monitor is still a dead tunnel). Failover never waits for this alarm (the monitor's own
 * events and the fast path move traffic); it is what people see.
 */
export const TUNNEL_UP_PERIODS = 3;

export interface TunnelAlarmsProps {
  site: Site;
  alarmQueueArn: string;
  alarmEmail?: string | undefined;
}

/**
 * Alarms on the monitor's metrics, per tunnel, into the site's encrypted SNS topic, which feeds the bot's
 * alarm queue (and the alarm e-mail, when set). Other alarms of the site (the controller's) use the same topic.
 */
export class TunnelAlarms extends Construct {
  readonly topic: sns.Topic;
  /** The alarms that wake the failover controller (a tunnel's health). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Certificate expiry warnings: for people (Slack), never a reason to move traffic. */
  readonly certAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: TunnelAlarmsProps) {
    super(scope, id);
    const { site } = props;
    this.topic = alarmTopic(this, {
      topicName: alarmTopicName(site.name),
      description: `tunnelops ${site.name} alarm topic`,
      alarmQueueArn: props.alarmQueueArn,
      email: props.alarmEmail,
    });

    const period = Duration.seconds(ALARM_PERIOD_SECONDS);
    for (const tunnel of site.tunnels) {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName,
          dimensionsMap: { Site: site.name, Tunnel: tunnel.name },
          statistic,
          period,
        });
      const down = new cloudwatch.Alarm(this, `${tunnel.name}-down`, {
        alarmName: alarmName(site.name, tunnel.name, 'down'),
        alarmDescription: `${site.name}/${tunnel.name}: the tunnel monitor reports the tunnel down (or stopped reporting) for 30 s`,
        metric: metric('TunnelUp', 'Minimum'),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: TUNNEL_UP_PERIODS,
        datapointsToAlarm: TUNNEL_UP_PERIODS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      const loss = new cloudwatch.Alarm(this, `${tunnel.name}-loss`, {
        alarmName: alarmName(site.name, tunnel.name, 'loss'),
        alarmDescription: `${site.name}/${tunnel.name}: probe loss above 20% for 30 s`,
        metric: metric('ProbeLossPct', 'Average'),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 20,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      notify(this.topic, [down, loss]);
      this.alarms.push(down, loss);
      for (const role of CERT_ROLES)
        for (const days of CERT_ALARM_DAYS) {
          const cert = new cloudwatch.Alarm(this, `${tunnel.name}-cert-${role}-${days}d`, {
            alarmName: alarmName(site.name, tunnel.name, `cert-${role}-${days}d`),
            alarmDescription: certAlarmDescription(site.name, tunnel.name, role, days),
            metric: new cloudwatch.Metric({
              namespace: METRIC_NAMESPACE,
              metricName: CERT_DAYS_LEFT,
              dimensionsMap: { Site: site.name, Tunnel: tunnel.name, Role: role },
              statistic: 'Minimum',
              period: Duration.hours(1),
            }),
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            threshold: days,
            evaluationPeriods: 1,
            // A silent monitor is the down alarm's business; this one keeps its last state meanwhile.
            treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          });
          // No Slack action: the bot posts one message per certificate from the monitors' reports
          // (src/services/certs/cert-notices.ts), so a certificate's two warnings never make two messages.
          this.certAlarms.push(cert);
        }
    }
  }
}

/** What the monitor's CertDaysLeft reports per server, and the two warnings (a month ahead, a week ahead). */
export const CERT_ROLES = ['ca', 'server', 'client', 'crl'] as const;
export const CERT_ALARM_DAYS = [30, 7] as const;

/** What expires and the command that fixes it: the alarm's description is what the Slack message shows. */
export function certAlarmDescription(
  site: string,
  tunnel: string,
  role: (typeof CERT_ROLES)[number],
  days: number,
): string {
  return `${site}/${tunnel}: ${certWhat(site, tunnel, role)} expires in less than ${days} days. Fix: ${certFix(site, tunnel, role)}`;
}
