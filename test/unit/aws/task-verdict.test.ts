import { describe, expect, it } from '@jest/globals';
import type { TunnelSeries } from '../../../src/aws/metric-batch.js';
import { taskVerdict } from '../../../src/aws/task-counts.js';
import { ok, unknown } from '../../../src/domain/outcome.js';

const at = (...points: Array<[number, number]>) =>
  ok({ timestamps: points.map(([t]) => new Date(t * 1000)), values: points.map(([, v]) => v) });
const none = ok({ timestamps: [], values: [] });
const series = (s: Partial<TunnelSeries>) =>
  ok<TunnelSeries>({ running: at([120, 1]), desired: at([120, 1]), pending: none, deployments: none, ...s });

describe('taskVerdict (Container Insights task counts)', () => {
  it('settled when the newest running equals desired, nothing pending, one deployment', () => {
    expect(taskVerdict(series({ pending: at([120, 0]), deployments: at([120, 1]) }))).toEqual({
      kind: 'settled',
      state: { desired: 1, running: 1, pending: 0, deploying: false },
    });
  });

  it('reads the newest datapoint whatever the order', () => {
    expect(taskVerdict(series({ running: at([60, 1], [180, 0], [120, 1]) })).kind).toBe('unsettled');
    expect(taskVerdict(series({ running: at([180, 1], [60, 0]) })).kind).toBe('settled');
  });

  it('unsettled when short, over, pending or deploying', () => {
    expect(taskVerdict(series({ running: at([120, 0]) })).kind).toBe('unsettled');
    expect(taskVerdict(series({ running: at([120, 2]) })).kind).toBe('unsettled');
    expect(taskVerdict(series({ pending: at([120, 1]) })).kind).toBe('unsettled');
    expect(taskVerdict(series({ deployments: at([120, 2]) })).kind).toBe('unsettled');
  });

  it('no data without running or desired counts; failed when CloudWatch did not answer', () => {
    expect(taskVerdict(series({ running: none }))).toEqual({ kind: 'no-data' });
    expect(taskVerdict(series({ desired: unknown('CloudWatch Forbidden') }))).toEqual({
      kind: 'failed',
      reason: 'CloudWatch Forbidden',
    });
    expect(taskVerdict(unknown('the AWS call timed out'))).toEqual({
      kind: 'failed',
      reason: 'the AWS call timed out',
    });
    expect(taskVerdict(ok({ loss: none }))).toEqual({
      kind: 'failed',
      reason: 'task counts were not asked for',
    });
  });
});
