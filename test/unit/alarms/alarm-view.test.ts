import { describe, expect, it } from '@jest/globals';
import type { AlarmMessageDoc, AlarmRecord } from '../../../src/domain/alarm-record.js';
import {
  alarmStatesShown,
  finalStateErrors,
  renderAlarmMessage,
  renderGroupMessage,
  shownAlarmStates,
} from '../../../src/slack/views/alarm-view.js';

const record = (name: string, state: AlarmRecord['state'], site: string | null = 'dc1'): AlarmRecord => ({
  id: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
  name,
  source: 'cloudwatch',
  state,
  reason: 'Threshold Crossed: 2 datapoints were less than the threshold (1.0).',
  since: '2026-03-01T10:00:00.000Z',
  region: 'US East (N. Virginia)',
  metric: { namespace: 'TunnelOps', name: 'TunnelUp', dimensions: { Site: 'dc1', Tunnel: 'primary' } },
  site,
  channel: 'C0SANDBOX1',
  rev: 1,
  changedAt: 0,
});
const doc = (kind: AlarmMessageDoc['kind'], over: Partial<AlarmMessageDoc> = {}): AlarmMessageDoc => ({
  key: `${kind}:C0SANDBOX1:1`,
  kind,
  channel: 'C0SANDBOX1',
  alarmIds: [],
  open: kind !== 'alarm',
  movedOut: 0,
  createdAt: 0,
  ...over,
});
type Block = { type: string; text?: { text: string }; elements?: Array<{ action_id?: string }> };
const blocksOf = (m: { blocks?: unknown[] }) => (m.blocks ?? []) as Block[];
const actionIds = (m: { blocks?: unknown[] }) =>
  blocksOf(m)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements?.map((e) => e.action_id) ?? []);

describe('alarm view', () => {
  it('shows an alarm with its state, place, reason, metric and both buttons', () => {
    const m = renderAlarmMessage(doc('alarm', { site: 'dc1' }), {
      ...record('tunnelops-dc1-primary-down', 'ALARM'),
      tunnel: 'primary',
    });
    expect(m.text).toBe('ALARM: tunnelops-dc1-primary-down');
    expect(shownAlarmStates(m)).toEqual(new Map([['tunnelops-dc1-primary-down', 'ALARM']]));
    const json = JSON.stringify(m.blocks);
    expect(json).toContain('site *dc1* · tunnel *primary*');
    expect(json).toContain('TunnelOps/TunnelUp (Site=dc1, Tunnel=primary)');
    expect(actionIds(m)).toEqual(['alarm_failover', 'alarm_ack']);
  });

  it("shows the alarm's description (a certificate alarm's fix command), escaped", () => {
    const m = renderAlarmMessage(doc('alarm', { site: 'dc1' }), {
      ...record('tunnelops-dc1-primary-cert-server-30d', 'ALARM'),
      tunnel: 'primary',
      description:
        'dc1/primary: the server certificate dc1-primary-server expires in less than 30 days. Fix: npm run pki -- renew dc1 --tunnel primary --role server && npm run pki -- publish dc1 --bucket <CertBucketName>',
    });
    const json = JSON.stringify(m.blocks);
    expect(json).toContain(
      '*About*\\ndc1/primary: the server certificate dc1-primary-server expires in less than 30 days',
    );
    expect(json).toContain(
      'npm run pki -- renew dc1 --tunnel primary --role server &amp;&amp; npm run pki -- publish dc1 --bucket &lt;CertBucketName&gt;',
    );
    expect(JSON.stringify(renderAlarmMessage(doc('alarm'), record('a', 'ALARM')).blocks)).not.toContain(
      '*About*',
    );
  });

  it('marks OK as resolved without buttons, and shows who acknowledged', () => {
    const ok = renderAlarmMessage(doc('alarm'), record('a', 'OK'));
    expect(ok.text).toContain('(resolved)');
    expect(actionIds(ok)).toEqual([]);
    const acked = renderAlarmMessage(doc('alarm'), {
      ...record('a', 'ALARM'),
      ack: { by: 'UONCALL1', at: '' },
    });
    expect(JSON.stringify(acked.blocks)).toContain('Acknowledged by <@UONCALL1>');
    expect(actionIds(acked)).toEqual(['alarm_failover']);
  });

  it('says where a moved alarm went and no longer claims a state for it', () => {
    const m = renderAlarmMessage(doc('alarm'), undefined, 'the storm summary');
    expect(shownAlarmStates(m).size).toBe(0);
    expect(JSON.stringify(m.blocks)).toContain('the storm summary');
  });

  it('keeps a huge storm summary within Slack limits (50 blocks, 3000 characters per section)', () => {
    const records = Array.from({ length: 600 }, (_, i) =>
      record(
        `tunnelops-site${String(i % 150).padStart(3, '0')}-primary-alarm-${i}`,
        i % 3 ? 'ALARM' : 'OK',
        `site${String(i % 150).padStart(3, '0')}`,
      ),
    );
    const m = renderGroupMessage(doc('storm'), records);
    const blocks = blocksOf(m);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(m.text).toBe('Alarm storm: 600 alarms on 150 sites, 400 in ALARM');
    const shown = shownAlarmStates(m);
    const omitted = JSON.stringify(m.blocks).match(/and (\d+) more alarms/);
    expect(shown.size + Number(omitted?.[1] ?? 0)).toBe(600);
  });

  it('spills one site with many alarms over several sections instead of cutting it off', () => {
    const records = Array.from({ length: 120 }, (_, i) =>
      record(`tunnelops-dc1-primary-probe-target-${i}`, 'ALARM', 'dc1'),
    );
    const m = renderGroupMessage(doc('site', { site: 'dc1' }), records);
    for (const b of blocksOf(m)) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(shownAlarmStates(m).size).toBe(120);
    expect(blocksOf(m).filter((b) => b.type === 'section').length).toBeGreaterThan(2);
  });

  it('lists a small storm completely, by site, with no Fail over button', () => {
    const records = [
      record('a', 'ALARM', 'dc1'),
      record('b', 'OK', 'dc2'),
      record('c', 'INSUFFICIENT_DATA', null),
    ];
    const m = renderGroupMessage(doc('storm', { open: false }), records);
    expect(shownAlarmStates(m)).toEqual(
      new Map([
        ['a', 'ALARM'],
        ['b', 'OK'],
        ['c', 'INSUFFICIENT_DATA'],
      ]),
    );
    expect(JSON.stringify(m.blocks)).toContain('storm over');
    expect(actionIds(m)).toEqual(['alarm_ack']);
  });

  it('counts final-state errors: missing, stale, or shown with two different states', () => {
    const truth = new Map<string, 'OK' | 'ALARM'>([
      ['a', 'OK'],
      ['b', 'ALARM'],
      ['c', 'OK'],
    ]);
    const shown = alarmStatesShown([
      renderAlarmMessage(doc('alarm'), record('a', 'OK')),
      renderAlarmMessage(doc('alarm'), record('b', 'OK')),
      renderGroupMessage(doc('storm'), [record('a', 'ALARM')]),
    ]);
    expect(finalStateErrors(truth, shown).sort()).toEqual(['a', 'b', 'c']);
  });
});
