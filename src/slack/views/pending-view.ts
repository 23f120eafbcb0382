import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { PendingRequest } from '../../domain/pending.js';
import { mention } from './approval-view.js';

const slackDate = (iso: string): string =>
  `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso}>`;

/** One line per open request: id, what, who, state, until when. */
export function pendingLine(p: PendingRequest): string {
  const what =
    p.action === 'failover'
      ? `fail over *${p.site}* to *${p.to ?? 'the other tunnel'}*`
      : p.action === 'rotate'
        ? `rotate the server certificates of *${p.site}*`
        : `redeploy *${p.site}/${p.tunnel ?? '?'}*`;
  const reason = p.reason ? ` "${escapeMrkdwn(p.reason.slice(0, 200))}"` : '';
  const until = p.state === 'pending' ? `, approve by ${slackDate(p.expiresAt)}` : '';
  return `\`${p.id}\` ${what}, asked by ${mention(p.requester)}${reason} (${p.state}${until})`;
}

/** The answer to `/vpn pending [site]`, and the "Pending requests" part of `/vpn status`. */
export function pendingText(list: readonly PendingRequest[], site?: string): string {
  if (list.length === 0) return `No pending requests${site ? ` for ${site}` : ''}.`;
  const head = `*Pending requests${site ? ` for ${site}` : ''}* (${list.length}):`;
  return [head, ...list.map((p) => `• ${pendingLine(p)}`)].join('\n');
}

const MAX_BLOCKS = 50;
/** The notification/fallback text stays within what a section shows (Slack cuts `text` far later, at 40,000). */
const MAX_TEXT = 3000;

/**
 * Adds the open requests to a status message, per site. Sites without any are summed up in one quiet line,
 * so a 50-site status does not grow by 50 "nothing here" lines.
 */
export function withPending(
  msg: { text: string; blocks: readonly unknown[] },
  bySite: ReadonlyMap<string, readonly PendingRequest[]>,
): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [...msg.blocks];
  const lines: string[] = [];
  const quiet = [...bySite].filter(([, list]) => list.length === 0).map(([site]) => site);
  for (const [site, list] of bySite) {
    if (list.length) lines.push(pendingText(list, site));
  }
  if (quiet.length)
    lines.push(
      quiet.length === bySite.size && bySite.size > 1
        ? 'No pending requests.'
        : `No pending requests for ${quiet.join(', ')}.`,
    );
  for (const [i, text] of lines.entries()) {
    if (blocks.length >= MAX_BLOCKS) break;
    const last = i === lines.length - 1 && quiet.length > 0;
    blocks.push(
      last
        ? { type: 'context', elements: [{ type: 'mrkdwn', text: text.slice(0, 2900) }] }
        : { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } },
    );
  }
  const text = [msg.text, ...lines].join('\n');
  return { text: text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`, blocks };
}
