import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_STORM_SETTINGS,
  decideGrouping,
  placeAlarm,
  type RecentChange,
} from '../../../src/domain/alarm-storm.js';

const s = DEFAULT_STORM_SETTINGS;
const change = (alarmId: string, site: string | null, at = 1000): RecentChange => ({ alarmId, site, at });

describe('decideGrouping', () => {
  it('is normal for a few alarms', () => {
    const g = decideGrouping([change('a', 'dc1'), change('b', 'dc2')], 1000, s);
    expect(g).toEqual({ storm: false, coalescedSites: new Set() });
  });

  it('coalesces a site when enough of its alarms change within the window', () => {
    const g = decideGrouping(
      [change('a', 'dc1'), change('b', 'dc1'), change('c', 'dc1'), change('d', 'dc2')],
      1000,
      s,
    );
    expect(g.storm).toBe(false);
    expect([...g.coalescedSites]).toEqual(['dc1']);
  });

  it('counts distinct alarms: one alarm flapping does not coalesce its site', () => {
    const g = decideGrouping([change('a', 'dc1', 1), change('a', 'dc1', 2), change('a', 'dc1', 3)], 3, s);
    expect(g.coalescedSites.size).toBe(0);
  });

  it('is a storm past the site threshold or the alarm threshold', () => {
    const sites = ['dc1', 'dc2', 'dc3', 'dc4'].map((x) => change(x, x));
    expect(decideGrouping(sites, 1000, s).storm).toBe(true);
    const many = Array.from({ length: s.stormAlarms }, (_, i) => change(`a${i}`, i % 2 ? 'dc1' : null));
    expect(decideGrouping(many, 1000, s).storm).toBe(true);
  });

  it('forgets changes older than the window', () => {
    const old = ['dc1', 'dc2', 'dc3', 'dc4'].map((x) => change(x, x, 0));
    expect(decideGrouping(old, s.windowMs + 1, s).storm).toBe(false);
  });
});

describe('placeAlarm', () => {
  const normal = { storm: false, coalescedSites: new Set<string>() };
  const storm = { storm: true, coalescedSites: new Set<string>() };
  const dc1Burst = { storm: false, coalescedSites: new Set(['dc1']) };

  it('gives a new alarm its own message and keeps updating it in place', () => {
    expect(placeAlarm({ site: 'dc1', state: 'ALARM', home: null }, normal)).toEqual({ kind: 'alarm' });
    expect(placeAlarm({ site: 'dc1', state: 'OK', home: { kind: 'alarm', open: false } }, normal)).toEqual({
      kind: 'keep',
    });
  });

  it('moves changing alarms into the storm summary, and keeps them there while it is open', () => {
    expect(placeAlarm({ site: 'dc1', state: 'ALARM', home: { kind: 'alarm', open: false } }, storm)).toEqual({
      kind: 'storm',
    });
    expect(placeAlarm({ site: null, state: 'OK', home: { kind: 'storm', open: true } }, storm)).toEqual({
      kind: 'keep',
    });
    expect(placeAlarm({ site: 'dc1', state: 'OK', home: { kind: 'storm', open: false } }, storm)).toEqual({
      kind: 'storm',
    });
  });

  it('gathers a bursting site into one message', () => {
    expect(placeAlarm({ site: 'dc1', state: 'ALARM', home: null }, dc1Burst)).toEqual({
      kind: 'site',
      site: 'dc1',
    });
    expect(placeAlarm({ site: 'dc1', state: 'OK', home: { kind: 'site', open: true } }, dc1Burst)).toEqual({
      kind: 'keep',
    });
    expect(placeAlarm({ site: 'dc2', state: 'ALARM', home: null }, dc1Burst)).toEqual({ kind: 'alarm' });
  });

  it('after a burst, a new ALARM gets its own message; other changes stay in the old summary', () => {
    const closed = { kind: 'storm' as const, open: false };
    expect(placeAlarm({ site: 'dc1', state: 'ALARM', home: closed }, normal)).toEqual({ kind: 'alarm' });
    expect(placeAlarm({ site: 'dc1', state: 'OK', home: closed }, normal)).toEqual({ kind: 'keep' });
  });
});
