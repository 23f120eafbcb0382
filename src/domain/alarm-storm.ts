import type { AlarmState } from './alarm-event.js';

/**
 * Storm control, pure: from the alarm changes of the last window, decide whether a channel is in a storm
 * (one summary message for every affected site) or which sites coalesce (one message per site), and where
 * each changed alarm lives. Everything else gets one message per alarm, updated in place.
 */
export interface StormSettings {
  /** How far back changes count. */
  windowMs: number;
  /** Distinct alarms of one site changing within the window that make one message per site. */
  siteAlarms: number;
  /** Distinct sites with changes within the window that make one storm summary. */
  stormSites: number;
  /** Distinct alarms changing within the window that make one storm summary, whatever the sites. */
  stormAlarms: number;
}

export const DEFAULT_STORM_SETTINGS: StormSettings = {
  windowMs: 60_000,
  siteAlarms: 3,
  stormSites: 4,
  stormAlarms: 12,
};

export interface RecentChange {
  alarmId: string;
  /** Null for alarms that map to no site. */
  site: string | null;
  at: number;
}

export interface Grouping {
  storm: boolean;
  /** Sites whose alarms share one message (empty during a storm). */
  coalescedSites: ReadonlySet<string>;
}

export type HomeKind = 'alarm' | 'site' | 'storm';

export interface HomeInfo {
  kind: HomeKind;
  /** False once the burst that made a site/storm message is over. */
  open: boolean;
}

export type Placement =
  | { kind: 'keep' }
  | { kind: 'alarm' }
  | { kind: 'site'; site: string }
  | { kind: 'storm' };

export function recentChanges(
  changes: readonly RecentChange[],
  now: number,
  settings: StormSettings,
): RecentChange[] {
  return changes.filter((c) => now - c.at <= settings.windowMs);
}

export function decideGrouping(
  changes: readonly RecentChange[],
  now: number,
  settings: StormSettings,
): Grouping {
  const alarmsBySite = new Map<string, Set<string>>();
  const alarms = new Set<string>();
  for (const c of recentChanges(changes, now, settings)) {
    alarms.add(c.alarmId);
    const key = c.site ?? '';
    const set = alarmsBySite.get(key) ?? new Set<string>();
    set.add(c.alarmId);
    alarmsBySite.set(key, set);
  }
  if (alarmsBySite.size >= settings.stormSites || alarms.size >= settings.stormAlarms) {
    return { storm: true, coalescedSites: new Set() };
  }
  const coalesced = new Set<string>();
  for (const [site, set] of alarmsBySite)
    if (site !== '' && set.size >= settings.siteAlarms) coalesced.add(site);
  return { storm: false, coalescedSites: coalesced };
}

/** Where a changed alarm should be shown. Alarms stay where they are unless a burst gathers them. */
export function placeAlarm(
  alarm: { site: string | null; state: AlarmState; home: HomeInfo | null },
  grouping: Grouping,
): Placement {
  const { home } = alarm;
  if (grouping.storm) return home?.kind === 'storm' && home.open ? { kind: 'keep' } : { kind: 'storm' };
  if (alarm.site !== null && grouping.coalescedSites.has(alarm.site)) {
    return home && home.kind !== 'alarm' && home.open ? { kind: 'keep' } : { kind: 'site', site: alarm.site };
  }
  if (!home) return { kind: 'alarm' };
  // A new incident after the burst is over gets its own message rather than hiding in an old summary.
  if (home.kind !== 'alarm' && !home.open && alarm.state === 'ALARM') return { kind: 'alarm' };
  return { kind: 'keep' };
}
