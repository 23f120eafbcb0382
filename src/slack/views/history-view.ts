import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { AuditEntry } from '../../ports/store.js';

const ICON: Record<string, string> = {
  requested: ':raising_hand:',
  approved: ':white_check_mark:',
  denied: ':no_entry:',
  cancelled: ':leftwards_arrow_with_hook:',
  expired: ':alarm_clock:',
  'execution-started': ':gear:',
  'routes-changed': ':twisted_rightwards_arrows:',
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
};

function actorOf(actor: string): string {
  return /^[UW][A-Z0-9]+$/.test(actor) ? `<@${actor}>` : escapeMrkdwn(actor);
}

function line(e: AuditEntry): string {
  const when = `<!date^${Math.floor(Date.parse(e.at) / 1000)}^{date_short} {time}|${e.at}>`;
  const id = e.requestId ? ` \`${e.requestId}\`` : '';
  const note =
    typeof e.detail?.summary === 'string'
      ? ` — ${escapeMrkdwn(e.detail.summary)}`
      : typeof e.detail?.reason === 'string'
        ? ` — ${escapeMrkdwn(e.detail.reason)}`
        : '';
  return `${ICON[e.event] ?? '•'} ${when} *${escapeMrkdwn(e.site)}* ${escapeMrkdwn(e.action)}${id} ${escapeMrkdwn(e.event)} by ${actorOf(e.actor)}${note}`.slice(
    0,
    400,
  );
}

/** `/vpn history [site]`: the latest audit entries, newest first, within one section's 3000 characters. */
export function historyMessage(
  entries: readonly AuditEntry[],
  site?: string,
): { response_type: 'ephemeral'; text: string; blocks: unknown[] } {
  const scope = site ? ` for ${site}` : '';
  if (entries.length === 0) {
    return {
      response_type: 'ephemeral',
      text: `No failovers, redeploys or approvals recorded yet${scope}.`,
      blocks: [],
    };
  }
  const lines: string[] = [];
  let size = 0;
  for (const e of [...entries].reverse()) {
    const l = line(e);
    if (size + l.length + 1 > 2900) break;
    lines.push(l);
    size += l.length + 1;
  }
  const title = `Recent actions${scope}`;
  return {
    response_type: 'ephemeral',
    text: `${title}:\n${lines.join('\n')}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Newest first; the full log is at \`GET /api/audit${site ? `?site=${site}` : ''}\`.`,
          },
        ],
      },
    ],
  };
}
