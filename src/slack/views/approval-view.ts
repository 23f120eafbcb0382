import type { ApprovalRequest, Caution } from '../../domain/approval.js';
import type { ApprovalView } from '../../domain/message-views.js';
import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { ChatMessage } from '../../ports/chat.js';

export const APPROVE_ACTION = 'approval_approve';
export const DENY_ACTION = 'approval_deny';
export const DENY_MODAL = 'approval_deny_modal';
export const DENY_REASON_BLOCK = 'deny_reason';
export const DENY_REASON_INPUT = 'reason';

/** Who may approve and the execution's progress (the rest of an ApprovalView). */
export type ApprovalViewExtras = Omit<ApprovalView, 'request' | 'progress'> &
  Partial<Pick<ApprovalView, 'progress'>>;

const MAX_SECTION = 2900; // Slack allows 3000 characters per section text
/** Text a person or an outside system wrote (reasons, evidence, progress, results). */
const esc = escapeMrkdwn;
/** Slack user ids become mentions; other actors ("controller") stay plain text, escaped. */
export const mention = (actor: string | undefined): string =>
  actor && /^[UW][A-Z0-9]+$/.test(actor) ? `<@${actor}>` : esc(actor ?? 'someone');
const clip = (s: string, n = MAX_SECTION): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const slackDate = (ms: number): string =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
export const formatDuration = (ms: number): string =>
  ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 1000)} s`;

const TITLES: Record<ApprovalRequest['action'], string> = {
  failover: 'Failover',
  redeploy: 'Redeploy',
  rotate: 'Certificate rotation',
};

/** One line saying what the request would do. */
export function describeAsk(r: ApprovalRequest): string {
  if (r.action === 'failover') return `fail over *${r.site}* to *${r.to ?? 'the other tunnel'}*`;
  if (r.action === 'rotate') return `rotate the server certificates of *${r.site}* (standby first)`;
  return `redeploy *${r.site}/${r.tunnel ?? '?'}*${r.force ? ' (forced: it carries traffic)' : ''}`;
}

function statusLine(r: ApprovalRequest): string {
  switch (r.state) {
    case 'pending':
      return `:hourglass_flowing_sand: Waiting for a second person to approve. Expires ${slackDate(r.expiresAt)}.`;
    case 'approved':
      return `:white_check_mark: Approved by ${mention(r.approver)}; starting…`;
    case 'executing':
      return `:gear: Approved by ${mention(r.approver)}; running…`;
    case 'succeeded':
      return `:large_green_circle: Done${r.result?.durationMs !== undefined ? ` in ${formatDuration(r.result.durationMs)}` : ''} (approved by ${mention(r.approver)}). ${esc(r.result?.summary ?? '')}`;
    case 'failed':
      return `:red_circle: Failed${r.result?.durationMs !== undefined ? ` after ${formatDuration(r.result.durationMs)}` : ''}${r.approver ? ` (approved by ${mention(r.approver)})` : ''}. ${esc(r.result?.summary ?? '')}`;
    case 'denied':
      return `:no_entry: Denied by ${mention(r.closedBy)}: ${esc(r.denyReason ?? '')}`;
    case 'expired':
      return `:alarm_clock: Expired ${slackDate(r.expiresAt)} without approval. Nothing was changed.`;
    case 'cancelled':
      return `:leftwards_arrow_with_hook: Cancelled by ${mention(r.closedBy)}. Nothing was changed.`;
  }
}

function cautionText(c: Caution): string {
  switch (c.kind) {
    case 'target-unhealthy':
      return `Target ${c.tunnel} is not healthy now: ${c.reason}`;
    case 'forced-redeploy':
      return `--force: ${c.tunnel} carries traffic; the site loses connectivity while it restarts`;
  }
}

/** The request's cautions as marked mrkdwn lines (their words escaped: reasons come from outside). */
export const cautionLines = (r: ApprovalRequest): string[] =>
  (r.cautions ?? []).map((c) => `:warning: ${esc(cautionText(c))}`);

const section = (text: string): Record<string, unknown> => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text) },
});
const context = (text: string): Record<string, unknown> => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text }],
});

/** The request message: what, who, why, evidence, state; Approve / Deny buttons only while pending. */
export function approvalMessage(r: ApprovalRequest, extras: ApprovalViewExtras): ChatMessage {
  const title = `${TITLES[r.action]} request ${r.id}`;
  const ask = `${mention(r.requester)} asks to ${describeAsk(r)}.`;
  const status = statusLine(r);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    section(`${ask}${r.reason ? `\n*Reason:* ${esc(r.reason)}` : ''}`),
    ...evidenceBlocks(r),
    ...(extras.progress?.length ? [section(extras.progress.map((p) => `› ${esc(p)}`).join('\n'))] : []),
    section(status),
    ...(r.state === 'pending'
      ? decisionBlocks(r, extras)
      : [context(`Request \`${r.id}\` · see \`/vpn history ${r.site}\``)]),
  ];
  return { text: `${title}: ${ask} ${status}`, blocks };
}

/** The evidence for the approver (escaped: it quotes outside systems), its cautions last, marked. */
function evidenceBlocks(r: ApprovalRequest): unknown[] {
  const evidence = [...(r.evidence ?? []).map(esc), ...cautionLines(r)];
  return evidence.length ? [section(`*Evidence*\n${evidence.map((e) => `• ${e}`).join('\n')}`)] : [];
}

/** While pending: the Approve and Deny buttons (carrying the request id), then who may approve. */
function decisionBlocks(r: ApprovalRequest, extras: ApprovalViewExtras): unknown[] {
  const button = (action_id: string, text: string, style: string) => ({
    type: 'button',
    action_id,
    text: { type: 'plain_text', text },
    style,
    value: r.id,
  });
  const who = [
    ...extras.approverUsers.map((u) => `<@${u}>`),
    ...extras.approverGroups.map((g) => `<!subteam^${g}>`),
  ];
  return [
    {
      type: 'actions',
      block_id: `approval:${r.id}`,
      elements: [button(APPROVE_ACTION, 'Approve', 'primary'), button(DENY_ACTION, 'Deny', 'danger')],
    },
    context(clip(`Approvers: ${who.join(', ')} (not the requester). Withdraw with \`/vpn cancel ${r.id}\`.`)),
  ];
}

/** A progress line in the request's thread: it quotes ECS and the executors (outside text), so escaped. */
export const progressReply = (line: string): ChatMessage => ({ text: esc(line) });

/** The modal Deny opens: one required reason field. The request id rides in private_metadata. */
export function denyModal(r: ApprovalRequest, channel: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: DENY_MODAL,
    private_metadata: JSON.stringify({ id: r.id, channel }),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip(`Deny \`${r.id}\`: ${mention(r.requester)} asks to ${describeAsk(r)}.`),
        },
      },
      {
        type: 'input',
        block_id: DENY_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why?' },
        element: {
          type: 'plain_text_input',
          action_id: DENY_REASON_INPUT,
          multiline: true,
          min_length: 3,
          max_length: 500,
        },
      },
    ],
  };
}
