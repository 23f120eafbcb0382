import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { AlarmEvent } from '../../../src/domain/alarm-event.js';
import { parseAlarmMessage } from '../../../src/domain/alarm-parse.js';

const fixture = (name: string): string => readFileSync(`test/fixtures/cloudwatch/${name}`, 'utf8');
const alarm = (message: string): AlarmEvent => {
  const r = parseAlarmMessage(message);
  if (r.kind !== 'alarm') throw new Error(`ignored: ${r.reason}`);
  return r.event;
};

describe('parseAlarmMessage', () => {
  it('reads a metric-math Trigger (Metrics[]: one Expression, one MetricStat, no MetricName)', () => {
    const e = alarm(fixture('alarm-sns-message-metric-math.json'));
    expect(e.metric).toEqual({
      namespace: 'TunnelOps',
      name: 'ProbeLossPct',
      dimensions: { Site: 'dc1', Tunnel: 'secondary' },
      period: 60,
      evaluationPeriods: 1,
      threshold: 50,
      comparison: 'GreaterThanThreshold',
      expression: { id: 'e1', expression: 'm1*1', label: 'Expression1' },
    });
    // Only the expression, no input metric: still shown, nothing to map by.
    const json = JSON.parse(fixture('alarm-sns-message-metric-math.json'));
    json.Trigger.Metrics = [json.Trigger.Metrics[0]];
    expect(alarm(JSON.stringify(json)).metric).toMatchObject({
      name: '',
      dimensions: {},
      expression: { id: 'e1' },
    });
  });

  it('reads the documented CloudWatch alarm notification (Message JSON)', () => {
    const e = alarm(fixture('alarm-sns-message.json'));
    expect(e).toMatchObject({
      id: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE',
      name: 'EXAMPLE',
      source: 'cloudwatch',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      since: '2015-06-03T17:43:27.123Z',
      metric: {
        namespace: 'AWS/EC2',
        name: 'NetworkOut',
        dimensions: { InstanceId: 'TestInstance' },
        period: 60,
        threshold: 0,
      },
    });
    expect(e.reason).toMatch(/^Threshold Crossed/);
  });

  it('reads the older format: no AlarmArn, Region as a display name, null description', () => {
    const e = alarm(fixture('alarm-sns-message-ok.json'));
    expect(e).toMatchObject({
      id: 'alarm:alarm-test',
      state: 'OK',
      region: 'US - N. Virginia',
      since: '2012-03-23T00:01:43.726Z',
    });
    expect(e.description).toBeUndefined();
  });

  it('tolerates unknown fields', () => {
    const json = JSON.parse(fixture('alarm-sns-message.json'));
    const e = alarm(
      JSON.stringify({ ...json, SomethingNew: { a: 1 }, Trigger: { ...json.Trigger, Metrics: [] } }),
    );
    expect(e.state).toBe('ALARM');
  });

  it('reads an EventBridge "CloudWatch Alarm State Change" forwarded through SNS', () => {
    const e = alarm(fixture('eventbridge-alarm-state-change.json'));
    expect(e).toMatchObject({
      id: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      name: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      since: '2019-10-02T17:04:40.989Z',
      region: 'us-east-1',
      metric: {
        namespace: 'AWS/EC2',
        name: 'CPUUtilization',
        dimensions: { InstanceId: 'i-12345678901234567' },
        period: 300,
      },
    });
  });

  it('reads an EventBridge "ECS Task State Change": a stopped tunnel task is an alarm', () => {
    const e = alarm(fixture('ecs-task-state-change-stopped.json'));
    expect(e).toMatchObject({
      id: 'ecs:tunnelops-dc1/dc1-primary',
      source: 'ecs',
      state: 'ALARM',
      since: '2016-12-06T16:44:51.235Z',
      ecs: {
        cluster: 'tunnelops-dc1',
        service: 'dc1-primary',
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
      },
    });
    expect(e.reason).toContain('Essential container in task exited');
  });

  it('a RUNNING task clears it; planned stops and other statuses are ignored', () => {
    const stopped = JSON.parse(fixture('ecs-task-state-change-stopped.json'));
    const running = {
      ...stopped,
      detail: { ...stopped.detail, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    };
    expect(alarm(JSON.stringify(running)).state).toBe('OK');
    const planned = { ...stopped, detail: { ...stopped.detail, stopCode: 'ServiceSchedulerInitiated' } };
    expect(parseAlarmMessage(JSON.stringify(planned))).toMatchObject({
      kind: 'ignored',
      reason: /scheduler/,
    });
    const pending = { ...stopped, detail: { ...stopped.detail, lastStatus: 'PENDING' } };
    expect(parseAlarmMessage(JSON.stringify(pending))).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['Hello world!', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"foo":1}', /neither/],
    [
      '{"AlarmName":"x","NewStateValue":"BROKEN","StateChangeTime":"2020-01-01T00:00:00Z"}',
      /CloudWatch alarm/,
    ],
    ['{"AlarmName":"x","NewStateValue":"OK","StateChangeTime":"yesterday"}', /not a time/],
    [
      '{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}',
      /not handled/,
    ],
  ])('ignores %s with a reason', (message, reason) => {
    const r = parseAlarmMessage(message);
    expect(r.kind).toBe('ignored');
    if (r.kind === 'ignored') expect(r.reason).toMatch(reason);
  });
});
