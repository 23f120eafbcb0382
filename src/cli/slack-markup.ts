/** Names to show for Slack ids; ids without one are shown as they are (e.g. @U0123ABCD). */
export interface SlackNames {
  users: Readonly<Record<string, string>>;
  channels: Readonly<Record<string, string>>;
  /** IANA zone for dates; the machine's own when absent. */
  timeZone?: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The parts of a local date and time in the zone, read from Intl (no date library). */
function localParts(epochSeconds: number, timeZone?: string): Record<string, string> {
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
  return Object.fromEntries(fmt.formatToParts(new Date(epochSeconds * 1000)).map((p) => [p.type, p.value]));
}

/** `<!date^1795892642^{date_short} {time}|fallback>` as local time, token by token. */
function slackDate(epochSeconds: number, format: string, timeZone?: string): string {
  const p = localParts(epochSeconds, timeZone);
  const date = `${p.year}-${p.month}-${p.day}`;
  const time = `${p.hour}:${p.minute}`;
  const out = format.replace(/\{(\w+)\}/g, (whole, token: string) => {
    if (token.startsWith('date')) return date;
    if (token === 'time') return time;
    if (token === 'time_secs') return `${time}:${p.second ?? pad(0)}`;
    return whole;
  });
  return /\{time/.test(format) && p.timeZoneName ? `${out} ${p.timeZoneName}` : out;
}

/** Slack's three escapes, undone (amp last, so "&amp;lt;" stays "&lt;"). */
export const decodeEntities = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Slack mrkdwn's special forms as a terminal shows them: dates in local time, users and channels by name,
 * links as "label (url)", and the escaped entities decoded.
 */
export function renderSlackMarkup(text: string, names: SlackNames): string {
  const replaced = text.replace(/<([^<>\n]{1,600})>/g, (whole, inner: string) => {
    const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
    if (target.startsWith('!date^')) {
      const [, seconds, format = '{date} {time}'] = target.split('^');
      const s = Number(seconds);
      return Number.isFinite(s) ? slackDate(s, format, names.timeZone) : (label ?? whole);
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
