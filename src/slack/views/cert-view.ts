import { type CertEntry, certFix, certWhat, expiryLevel, utcMinute } from '../../domain/cert-expiry.js';
import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { ChatMessage } from '../../ports/chat.js';
import type { SiteCerts } from '../../services/certs/cert-reports.js';

/** Slack's limit on one section's text. */
const SECTION_MAX = 3000;

const when = (e: CertEntry): string => utcMinute(new Date(e.notAfter));

function days(e: CertEntry): string {
  if (e.revoked) return 'revoked';
  if (e.daysLeft < 0) return `expired ${-e.daysLeft} day(s) ago`;
  return `in ${e.daysLeft} day(s)`;
}

const ICON = { expired: ':x:', '7d': ':rotating_light:', '30d': ':warning:' } as const;

/** One certificate's expiry message: what expires when, and the command that fixes it. */
export function certWarningMessage(e: CertEntry): ChatMessage {
  const level = expiryLevel(e) ?? '30d';
  const scope = e.tunnel ? `${e.site}/${e.tunnel}` : e.site;
  const verb = e.revoked ? 'is revoked' : e.daysLeft < 0 ? 'expired' : 'expires';
  const head = `${ICON[level]} *${escapeMrkdwn(scope)}*: ${escapeMrkdwn(certWhat(e.site, e.tunnel, e.role))} ${verb} ${when(e)} (${days(e)})`;
  const detail = `${escapeMrkdwn(e.subject)}, serial ${escapeMrkdwn(e.serial || '-')}`;
  const fix = `Fix: \`${escapeMrkdwn(certFix(e.site, e.tunnel, e.role))}\``;
  const text = `${head}\n${detail}\n${fix}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, SECTION_MAX) } }] };
}

/** The same message once the certificate's successor is in play (or it left play). */
export function certResolvedMessage(e: CertEntry | undefined): ChatMessage {
  const text = e
    ? `:white_check_mark: *${escapeMrkdwn(e.tunnel ? `${e.site}/${e.tunnel}` : e.site)}*: ${escapeMrkdwn(certWhat(e.site, e.tunnel, e.role))} renewed: now valid until ${when(e)} (${days(e)}), serial ${escapeMrkdwn(e.serial || '-')}`
    : ':white_check_mark: This certificate is no longer in play on any server.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/vpn certs [site]`: every certificate in play per site, nearest expiry first. */
export function certsMessage(sites: readonly SiteCerts[]): {
  response_type: 'ephemeral';
  text: string;
  blocks: unknown[];
} {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: 'Certificates in play' } }];
  const texts: string[] = [];
  for (const s of sites) {
    const lines = s.entries.map((e) => {
      const mark = expiryLevel(e) ? `${ICON[expiryLevel(e)!]} ` : '';
      const where = e.tunnel ? `${e.tunnel} ${e.role}` : e.role;
      return `${mark}*${escapeMrkdwn(where)}* \`${escapeMrkdwn(e.subject)}\` until ${when(e)} (${days(e)})${e.revoked ? ' *revoked*' : ''}`;
    });
    for (const f of s.faults) lines.push(`:x: ${escapeMrkdwn(f.tunnel)}: ${escapeMrkdwn(f.fault)}`);
    if (lines.length === 0) lines.push('no server has reported its certificates yet');
    const text = `*${escapeMrkdwn(s.site)}*\n${lines.join('\n')}`;
    texts.push(text);
    if (blocks.length < 49)
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, SECTION_MAX) } });
  }
  if (sites.length === 0) texts.push('No sites.');
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: "As each server's monitor last read them; `npm run pki -- list` shows the PKI's own view.",
      },
    ],
  });
  return { response_type: 'ephemeral', text: texts.join('\n\n').slice(0, SECTION_MAX), blocks };
}
