import type { AlarmState } from '../../domain/alarm-event.js';
import type { AlarmMessageDoc, AlarmRecord } from '../../domain/alarm-record.js';
import { escapeMrkdwn, unescapeMrkdwn } from '../../domain/mrkdwn.js';
import type { ChatMessage } from '../../ports/chat.js';

/**
 * Block Kit for alarms. Every alarm appears as "<emoji> `name` *STATE*" so people (and the bench's
 * final-state check, via shownAlarmStates) read its current state the same way in every kind of message.
 */
export const ALARM_ACTIONS = { failover: 'alarm_failover', acknowledge: 'alarm_ack' } as const;

const EMOJI: Record<AlarmState, string> = {
  ALARM: ':red_circle:',
  OK: ':large_green_circle:',
  INSUFFICIENT_DATA: ':white_circle:',
};
const SECTION_LIMIT = 2900;
const MAX_BLOCKS = 48;

const alarmLine = (r: Pick<AlarmRecord, 'name' | 'state'>): string =>
  `${EMOJI[r.state]} \`${esc(r.name)}\` *${r.state}*`;

/** Alarm names, reasons and dimensions come from outside (CloudWatch, whoever created the alarm). */
const esc = escapeMrkdwn;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const slackDate = (iso: string): string => {
  const s = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${s}^{date_short_pretty} {time_secs}|${iso}>`;
};
const where = (r: AlarmRecord): string =>
  r.site
    ? `site *${r.site}*${r.tunnel ? ` · tunnel *${r.tunnel}*` : ''}`
    : ':grey_question: not mapped to a site';

function button(
  text: string,
  actionId: string,
  value: string,
  style?: 'danger' | 'primary',
): Record<string, unknown> {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

function actions(doc: AlarmMessageDoc, records: AlarmRecord[]): Record<string, unknown> | null {
  const elements: Record<string, unknown>[] = [];
  const site = doc.kind === 'storm' ? undefined : (doc.site ?? records[0]?.site ?? undefined);
  if (site && records.some((r) => r.state === 'ALARM')) {
    elements.push(
      button('Fail over', ALARM_ACTIONS.failover, JSON.stringify({ site, key: doc.key }), 'danger'),
    );
  }
  if (records.some((r) => r.state !== 'OK' && !r.ack))
    elements.push(button('Acknowledge', ALARM_ACTIONS.acknowledge, doc.key));
  return elements.length ? { type: 'actions', block_id: `alarm:${doc.key}`.slice(0, 255), elements } : null;
}

function ackLine(records: AlarmRecord[]): Record<string, unknown> | null {
  const acked = records.filter((r) => r.ack);
  if (!acked.length) return null;
  const who = [...new Set(acked.map((r) => `<@${r.ack?.by}>`))].join(', ');
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `:eyes: Acknowledged by ${who}` }] };
}

/** One alarm's message: its line and where it is, the fields that explain it, who acknowledged, the buttons. */
export function renderAlarmMessage(
  doc: AlarmMessageDoc,
  record: AlarmRecord | undefined,
  movedTo?: string,
): ChatMessage {
  if (!record) return movedMessage(movedTo);
  const resolved = record.state === 'OK';
  const blocks: unknown[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${alarmLine(record)}${resolved ? ' — resolved' : ''}\n${where(record)}`,
      },
    },
    { type: 'section', fields: alarmFields(record) },
  ];
  const ack = ackLine([record]);
  if (ack) blocks.push(ack);
  const act = actions(doc, [record]);
  if (act) blocks.push(act);
  return { text: `${record.state}: ${esc(record.name)}${resolved ? ' (resolved)' : ''}`, blocks };
}

/** What is left of a message whose alarm is now shown in another one. */
function movedMessage(movedTo: string | undefined): ChatMessage {
  return {
    text: 'Alarm moved',
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:arrow_right: this alarm is now tracked in ${movedTo ?? 'a newer message'}`,
        },
      },
    ],
  };
}

/** Reason and time, then what the alarm has of metric, expression, region and description; each clipped. */
function alarmFields(record: AlarmRecord): Array<{ type: 'mrkdwn'; text: string }> {
  const field = (title: string, text: string) => ({ type: 'mrkdwn' as const, text: `*${title}*\n${text}` });
  const fields = [
    field('Reason', esc(clip(record.reason || '—', 600))),
    field('Since', slackDate(record.since)),
  ];
  if (record.metric?.name) {
    const dims = Object.entries(record.metric.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const metric = `${record.metric.namespace}/${record.metric.name}${dims ? ` (${dims})` : ''}`;
    fields.push(field('Metric', esc(clip(metric, 300))));
  }
  const math = record.metric?.expression;
  if (math) {
    // Written by whoever configured the alarm: shown literally (mrkdwn's three escapes).
    const text = `${math.label ? `${math.label}: ` : ''}${math.id} = ${math.expression}`;
    fields.push(field('Expression', esc(clip(text, 300))));
  }
  if (record.region) fields.push(field('Region', esc(clip(record.region, 100))));
  // The alarm's own description: for a certificate alarm, what expires and the command that fixes it.
  if (record.description) fields.push(field('About', esc(clip(record.description, 600))));
  return fields;
}

/** One site's burst, or the storm summary: every alarm as one line, grouped by site, packed into sections. */
export function renderGroupMessage(doc: AlarmMessageDoc, records: AlarmRecord[]): ChatMessage {
  const bySite = new Map<string, AlarmRecord[]>();
  for (const r of records) {
    const key = r.site ?? '(not mapped)';
    const list = bySite.get(key);
    if (list) list.push(r);
    else bySite.set(key, [r]);
  }
  const firing = records.filter((r) => r.state === 'ALARM').length;
  const title =
    doc.kind === 'storm'
      ? `:thunder_cloud_and_rain: *Alarm storm*: ${records.length} alarms on ${bySite.size} sites, ${firing} in ALARM`
      : `:rotating_light: *${doc.site}*: ${records.length} alarms changing, ${firing} in ALARM`;
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: title } }];
  let chunk = '';
  let omitted = 0;
  const flush = () => {
    if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
    chunk = '';
  };
  // Pack alarm by alarm, so a site with many alarms spills into the next section instead of being cut off.
  const storm = doc.kind === 'storm';
  for (const [site, list] of [...bySite].sort(([a], [b]) => a.localeCompare(b))) {
    let first = true;
    for (const r of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
      if (blocks.length >= MAX_BLOCKS - 3) {
        omitted++;
        continue;
      }
      const item = clip(alarmLine(r), 400);
      const lead = storm ? (first ? `*${site}*: ` : ', ') : '';
      const sep = chunk && (first || !storm) ? '\n' : '';
      if (chunk && chunk.length + sep.length + lead.length + item.length > SECTION_LIMIT) {
        flush();
        chunk = `${storm ? `*${site}* (cont.): ` : ''}${item}`;
      } else {
        chunk = `${chunk}${sep}${lead}${item}`;
      }
      first = false;
    }
  }
  flush();
  const notes: string[] = [];
  if (omitted) notes.push(`…and ${omitted} more alarms (see \`/vpn status\`)`);
  if (doc.movedOut) notes.push(`${doc.movedOut} alarms moved to newer messages`);
  if (!doc.open) notes.push(doc.kind === 'storm' ? 'storm over' : 'burst over');
  if (notes.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: notes.join(' · ') }] });
  const ack = ackLine(records);
  if (ack) blocks.push(ack);
  const act = actions(doc, records);
  if (act) blocks.push(act);
  const text =
    doc.kind === 'storm'
      ? `Alarm storm: ${records.length} alarms on ${bySite.size} sites, ${firing} in ALARM`
      : `${doc.site}: ${records.length} alarms changing, ${firing} in ALARM`;
  return { text, blocks };
}

export function renderThreadReply(record: AlarmRecord, from: AlarmState | undefined): ChatMessage {
  const change = from && from !== record.state ? `${from} → *${record.state}*` : `*${record.state}*`;
  return {
    text: `${EMOJI[record.state]} ${change} at ${slackDate(record.since)}: ${esc(clip(record.reason || '—', 300))}`,
  };
}

/** The alarm states a message shows, by alarm name (what the bench and tests compare with the truth). */
export function shownAlarmStates(message: { text?: string; blocks?: unknown }): Map<string, AlarmState> {
  const out = new Map<string, AlarmState>();
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v))
        if (k === 'text' || k === 'fields' || k === 'elements' || typeof x === 'object') walk(x);
    }
  };
  walk(message.blocks ?? []);
  for (const t of texts)
    for (const m of t.matchAll(/`([^`]+)` \*(ALARM|OK|INSUFFICIENT_DATA)\*/g))
      out.set(unescapeMrkdwn(m[1]!), m[2] as AlarmState);
  return out;
}

/** Every state each alarm is shown in, over a set of messages (should be exactly one state per alarm). */
export function alarmStatesShown(
  messages: Iterable<{ text?: string; blocks?: unknown }>,
): Map<string, AlarmState[]> {
  const out = new Map<string, AlarmState[]>();
  for (const m of messages)
    for (const [name, state] of shownAlarmStates(m)) out.set(name, [...(out.get(name) ?? []), state]);
  return out;
}

/** Alarms whose true state is not exactly what Slack shows (missing, stale, or shown twice differently). */
export function finalStateErrors(
  truth: ReadonlyMap<string, AlarmState>,
  shown: ReadonlyMap<string, AlarmState[]>,
): string[] {
  const errors: string[] = [];
  for (const [name, state] of truth) {
    const seen = shown.get(name) ?? [];
    if (seen.length === 0 || seen.some((s) => s !== state)) errors.push(name);
  }
  return errors;
}
