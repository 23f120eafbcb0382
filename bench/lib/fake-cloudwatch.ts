import type { FakeAwsState, FakeTunnel } from './fake-aws-state.js';
import type { WireReply } from './fake-ec2.js';

/**
 * CloudWatch JSON 1.0 API for the actions status uses, with the 500-query limit enforced: the monitor's
 * TunnelOps probe metrics (Site, Tunnel) and the ECS/ContainerInsights service task counts (ClusterName,
 * ServiceName) of clusters that have Container Insights on.
 */
type Body = Record<string, unknown>;
type Query = {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> };
    Stat: string;
  };
};
const json = (body: unknown, status = 200): WireReply => ({
  status,
  contentType: 'application/x-amz-json-1.0',
  body: JSON.stringify(body),
});
const alarmState = (t: FakeTunnel) =>
  t.lossPct > 5 || t.runningTasks === 0 || t.instanceState !== 'running' ? 'ALARM' : 'OK';

function series(t: FakeTunnel | undefined, q: Query, endS: number) {
  const stamps = [1, 2, 3, 4, 5].map((k) => Math.floor(endS / 60) * 60 - k * 60 + 60);
  const { MetricName } = q.MetricStat.Metric;
  const value = (): number | null => {
    if (!t) return null;
    if (q.MetricStat.Metric.Namespace === 'ECS/ContainerInsights') {
      if (!t.containerInsights) return null;
      if (MetricName === 'RunningTaskCount') return t.runningTasks;
      if (MetricName === 'DesiredTaskCount') return 1;
      if (MetricName === 'PendingTaskCount') return 0;
      if (MetricName === 'DeploymentCount') return 1;
      return null;
    }
    if (q.MetricStat.Stat === 'SampleCount') return 60;
    if (MetricName === 'ProbeLossPct') return t.lossPct;
    if (MetricName === 'ProbeLatencyMs') return t.lossPct >= 100 ? null : t.latencyMs;
    return null;
  };
  const v = value();
  return {
    Id: q.Id,
    Label: MetricName,
    Timestamps: v === null ? [] : stamps,
    Values: v === null ? [] : stamps.map(() => v),
    StatusCode: 'Complete',
  };
}

export function handleCloudWatch(state: FakeAwsState, region: string, op: string, body: Body): WireReply {
  if (op === 'GetMetricData') {
    const queries = (body.MetricDataQueries as Query[]) ?? [];
    if (queries.length > 500)
      return json({ __type: 'InvalidParameterValue', message: 'more than 500 queries' }, 400);
    const endS = Number(body.EndTime);
    const results = queries.map((q) => {
      const dim = (n: string) => q.MetricStat.Metric.Dimensions.find((d) => d.Name === n)?.Value;
      const t = state
        .inRegion(region)
        .find((x) =>
          q.MetricStat.Metric.Namespace === 'ECS/ContainerInsights'
            ? x.cluster === dim('ClusterName') && x.service === dim('ServiceName')
            : x.site === dim('Site') && x.tunnel === dim('Tunnel'),
        );
      return series(t, q, endS);
    });
    return json({ MetricDataResults: results, Messages: [] });
  }
  if (op === 'DescribeAlarms') {
    const alarms = state.inRegion(region).map((t) => ({
      AlarmName: `tunnelops-${t.site}-${t.tunnel}-status`,
      AlarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:tunnelops-${t.site}-${t.tunnel}-status`,
      StateValue: alarmState(t),
      StateReason:
        alarmState(t) === 'ALARM'
          ? 'Threshold Crossed: 2 out of the last 2 datapoints were less than the threshold (1.0)'
          : 'Threshold Crossed: no datapoints were less than the threshold (1.0)',
      StateUpdatedTimestamp: 1795600000,
      MetricName: 'TunnelUp',
      Namespace: 'TunnelOps',
      Dimensions: [
        { Name: 'Site', Value: t.site },
        { Name: 'Tunnel', Value: t.tunnel },
      ],
    }));
    const max = Number(body.MaxRecords ?? 50);
    const from = Number(body.NextToken ?? 0);
    const next = from + max < alarms.length ? String(from + max) : undefined;
    return json({
      MetricAlarms: alarms.slice(from, from + max),
      CompositeAlarms: [],
      ...(next ? { NextToken: next } : {}),
    });
  }
  return json({ __type: 'InvalidAction', message: `the fake does not implement ${op}` }, 400);
}
