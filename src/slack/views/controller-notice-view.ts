import type { ControllerNotice, FleetEventView, SiteNoticeView } from '../../domain/message-views.js';
import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { ChatMessage } from '../../ports/chat.js';

/** A thread message of an event lists this many sites (a section each of at most ~25 lines, under 3000 chars). */
export const EVENT_SITES_PER_REPLY = 100;
const LINES_PER_SECTION = 20;
const MAX_SECTION = 2900;
const MAX_TEXT = 3000;
const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const section = (text: string) => ({
  type: 'section',
  text: { type: 'mrkdwn', text: cut(text, MAX_SECTION) },
});

/** One site's notice: its own message (an event of one site), or the site's line in an event's thread. */
export function controllerNoticeMessage(v: SiteNoticeView): ChatMessage {
  return { text: noticeText(v.site, v.notice) };
}

function noticeText(site: string, n: ControllerNotice): string {
  if (n.kind === 'alert') {
    const loud = n.code === 'both-down' ? '<!here> :fire: ' : ':warning: ';
    return `${loud}*${site}* failover controller: ${escapeMrkdwn(n.reason)}${n.extra ? `\n${escapeMrkdwn(n.extra)}` : ''}`;
  }
  const r = n.result;
  if (!r.ok && r.refused)
    return `<!here> :warning: *${site}*: did not fail over to ${n.to}: ${escapeMrkdwn(r.reason)}.\nWhy it was tried: ${escapeMrkdwn(n.reason)}`;
  if (r.ok)
    return `:rotating_light: Automatic failover of *${site}*: ${r.from ?? 'nowhere'} -> *${r.to}* (${r.changed} route(s) in ${r.durationMs} ms).\nWhy: ${escapeMrkdwn(n.reason)}`;
  return `<!here> :x: Automatic failover of *${site}* to ${n.to} failed: ${escapeMrkdwn(r.reason)}. Changed ${r.changed}, rolled back ${r.rolledBack}.\nWhy it was tried: ${escapeMrkdwn(n.reason)}`;
}

type Outcome = 'moved' | 'not-moved' | 'alert';
const outcomeOf = (n: ControllerNotice): Outcome =>
  n.kind === 'alert' ? 'alert' : n.result.ok ? 'moved' : 'not-moved';

/** A site's line in the thread: what happened, in one line. */
function eventLine(v: SiteNoticeView & { at: string }): string {
  const n = v.notice;
  const time = v.at.slice(11, 19);
  if (n.kind === 'alert') return `:warning: ${time} *${v.site}*: ${escapeMrkdwn(cut(n.reason, 200))}`;
  const r = n.result;
  if (r.ok)
    return `:white_check_mark: ${time} *${v.site}*: ${r.from ?? 'nowhere'} -> ${r.to}, ${r.changed} route(s) in ${r.durationMs} ms`;
  return `:x: ${time} *${v.site}*: ${r.refused ? 'did not fail over' : 'failover failed'} to ${n.to}: ${escapeMrkdwn(cut(r.reason, 200))}`;
}

/**
 * The event's message: how many sites, what became of them, which need someone (named, up to 20), and that the
 * thread has every site. Updated in place as notices join.
 */
export function fleetEventMessage(v: FleetEventView): ChatMessage {
  if (v.notices.length === 1) return controllerNoticeMessage(v.notices[0]!);
  const where = v.az ? `AZ ${escapeMrkdwn(v.az)} (${escapeMrkdwn(v.region)})` : escapeMrkdwn(v.region);
  const count = (o: Outcome) => v.notices.filter((n) => outcomeOf(n.notice) === o);
  const moved = count('moved');
  const notMoved = count('not-moved');
  const alerts = count('alert');
  const needing = [...notMoved, ...alerts].map((n) => n.site);
  const named =
    needing.slice(0, 20).join(', ') + (needing.length > 20 ? ` and ${needing.length - 20} more` : '');
  const head = `${notMoved.length ? '<!here> ' : ''}:rotating_light: *${v.notices.length} sites* with a tunnel in ${where} reported since ${v.startedAt.slice(11, 19)} UTC`;
  const lines = [
    head,
    `:white_check_mark: ${moved.length} failed over automatically · :x: ${notMoved.length} not moved · :warning: ${alerts.length} alert(s)`,
    ...(needing.length ? [`Needs attention: ${named}`] : []),
    'Every site in the thread. Fleet state: `/vpn status`.',
  ];
  const text = lines.join('\n');
  return { text: cut(text, MAX_TEXT), blocks: [section(text)] };
}

/** The thread: one message per EVENT_SITES_PER_REPLY sites, in the order they reported (index i: the i-th). */
export function fleetEventReplies(v: FleetEventView): ChatMessage[] {
  if (v.notices.length < 2) return [];
  const replies: ChatMessage[] = [];
  for (let i = 0; i < v.notices.length; i += EVENT_SITES_PER_REPLY) {
    const lines = v.notices.slice(i, i + EVENT_SITES_PER_REPLY).map(eventLine);
    const blocks = [];
    for (let j = 0; j < lines.length; j += LINES_PER_SECTION)
      blocks.push(section(lines.slice(j, j + LINES_PER_SECTION).join('\n')));
    const first = i + 1;
    const last = i + lines.length;
    replies.push({
      text: cut(`Sites ${first}-${last} of the event:\n${lines.join('\n')}`, MAX_TEXT),
      blocks,
    });
  }
  return replies;
}
