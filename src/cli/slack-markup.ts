/** Names to show for Slack ids; ids without one are shown as they are (e.g. @U0123ABCD). */
export interface SlackNames {
  users: Readonly<Record<string, string>>;
  channels: Readonly<Record<string, string>>;
  /** IANA zone for dates; the machine's own when absent. */
  timeZone?: string;
}

/**
 * The CLI's one date format, in the local zone (or `timeZone`): `2026-11-28 19:04:02 UTC`. Slack's own
 * format tokens ({date_short}, {time}, ...) and ISO timestamps in text all come out this way.
 */
export function formatDate(epochMs: number, timeZone?: string): string {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    ...(timeZone ? { timeZone } : {}),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  const p = Object.fromEntries(fmt.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** Slack's three escapes, undone (amp last, so "&amp;lt;" stays "&lt;"). */
export const decodeEntities = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Slack mrkdwn's special forms as a terminal shows them: dates in local time (one format), users and channels by name,
 * links as "label (url)", and the escaped entities decoded.
 */
export function renderSlackMarkup(text: string, names: SlackNames): string {
  const replaced = text.replace(/<([^<>\n]{1,600})>/g, (whole, inner: string) => {
    const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
    if (target.startsWith('!date^')) {
      const s = Number(target.split('^')[1]);
      return Number.isFinite(s) ? formatDate(s * 1000, names.timeZone) : (label ?? whole);
    }
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return `@${names.users[id] ?? label ?? id}`;
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      return `#${names.channels[id] ?? label ?? id}`;
    }
    if (target.startsWith('!subteam^')) return label ?? `@${target.slice(9)}`;
    if (target.startsWith('!')) return `@${target.slice(1)}`;
    if (/^(https?|mailto):/.test(target)) return label ? `${label} (${target})` : target;
    return whole;
  });
  return decodeEntities(replaced);
}
