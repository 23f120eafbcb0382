import type { App, BlockButtonAction, ViewSubmitAction } from '@slack/bolt';
import { parseBoundedJson } from '../../domain/bounded-json.js';
import { type Logger, logFailure } from '../../log.js';
import type { ApprovalService } from '../../services/approvals/approval-service.js';
import { refusalReply } from '../views/approval-reply-view.js';
import {
  APPROVE_ACTION,
  DENY_ACTION,
  DENY_MODAL,
  DENY_REASON_BLOCK,
  DENY_REASON_INPUT,
  denyModal,
} from '../views/approval-view.js';

/**
 * Lets the event loop read (and ack) requests that are already waiting before this one's work runs:
 * after ack, the rest of a listener would otherwise run in the same turn and delay everyone's ack.
 */
const afterPendingIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Where a button was clicked: the message's channel (for ephemeral refusals). */
function channelOf(body: BlockButtonAction): string {
  return body.channel?.id ?? body.container?.channel_id ?? '';
}

function parseMetadata(raw: string): { id: string; channel: string } | null {
  try {
    const m = parseBoundedJson(raw, { maxBytes: 3000, maxDepth: 2 }) as { id?: unknown; channel?: unknown };
    return typeof m.id === 'string' && typeof m.channel === 'string'
      ? { id: m.id, channel: m.channel }
      : null;
  } catch {
    return null;
  }
}

/**
 * Approve / Deny buttons and the Deny modal. Every listener acks first (Slack's 3 s), then works.
 * Refusals go only to the clicker (chat.postEphemeral) and change nothing; the state machine and its
 * compare-and-set decide, so a double click or a retried delivery cannot act twice.
 */
export function registerApprovalActions(bolt: App, approvals: ApprovalService, log: Logger): void {
  onApprove(bolt, approvals, log);
  onDeny(bolt, approvals, log);
  onDenyReason(bolt, approvals);
}

/** Approve: the service approves and runs it; a refusal is told to the clicker only. */
function onApprove(bolt: App, approvals: ApprovalService, log: Logger): void {
  bolt.action<BlockButtonAction>(APPROVE_ACTION, async ({ ack, body, action }) => {
    await ack();
    await afterPendingIo();
    const user = body.user.id;
    const outcome = await approvals.approve(action.value ?? '', user);
    if (!outcome.ok) {
      log.child({ requestId: action.value, user }).info({ refusal: outcome.refusal }, 'approval refused');
      await approvals.tell(channelOf(body), user, refusalReply(outcome.refusal));
    }
  });
}

/** Deny: checks the clicker may deny before opening the dialog that asks why. */
function onDeny(bolt: App, approvals: ApprovalService, log: Logger): void {
  bolt.action<BlockButtonAction>(DENY_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    await afterPendingIo();
    const user = body.user.id;
    const id = action.value ?? '';
    const check = await approvals.checkDeny(id, user);
    if (!check.ok) {
      await approvals.tell(channelOf(body), user, refusalReply(check.refusal));
      return;
    }
    try {
      await client.views.open({
        trigger_id: body.trigger_id,
        view: denyModal(check.request, channelOf(body)) as never,
      });
    } catch (err) {
      const errorId = logFailure(log, err, 'could not open the deny modal', { requestId: id });
      await approvals.tell(
        channelOf(body),
        user,
        `Could not open the reason dialog; the request is unchanged, try again. (error ${errorId})`,
      );
    }
  });
}

type DenyDialog = { id: string; channel: string; reason: string } | { error: string };

/** The submitted Deny dialog: its request and a reason of at least 3 characters, or what to fix (on the field). */
function readDenyDialog(view: ViewSubmitAction['view']): DenyDialog {
  const reason = view.state.values[DENY_REASON_BLOCK]?.[DENY_REASON_INPUT]?.value?.trim() ?? '';
  const meta = parseMetadata(view.private_metadata);
  if (!meta) return { error: 'This dialog lost track of its request; deny again from the message.' };
  if (reason.length < 3) return { error: 'Say why (at least 3 characters).' };
  return { ...meta, reason: reason.slice(0, 500) };
}

/** The Deny dialog's submission: refused on the field when incomplete, else acked and denied. */
function onDenyReason(bolt: App, approvals: ApprovalService): void {
  bolt.view<ViewSubmitAction>(DENY_MODAL, async ({ ack, body, view }) => {
    const dialog = readDenyDialog(view);
    if ('error' in dialog) {
      await ack({ response_action: 'errors', errors: { [DENY_REASON_BLOCK]: dialog.error } });
      return;
    }
    await ack();
    await afterPendingIo();
    const user = body.user.id;
    const outcome = await approvals.deny(dialog.id, user, dialog.reason);
    if (!outcome.ok) await approvals.tell(dialog.channel, user, refusalReply(outcome.refusal));
  });
}
