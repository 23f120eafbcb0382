import type { App, BlockButtonAction } from '@slack/bolt';
import { parseBoundedJson } from '../../domain/bounded-json.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { AlarmService } from '../../services/alarms/alarm-service.js';
import type { RequestInput, RequestOutcome } from '../../services/approvals/approval-service.js';
import { alarmFailoverReply } from '../views/alarm-failover-reply-view.js';
import { ALARM_ACTIONS } from '../views/alarm-view.js';

/** What the Fail over button needs from the approval workflow (ApprovalService.request). */
export interface FailoverApprovals {
  request(input: RequestInput): Promise<RequestOutcome>;
}

export interface AlarmActionDeps {
  alarms: AlarmService;
  chat: Chat;
  approvals: FailoverApprovals;
  log: Logger;
}

const channelOf = (body: BlockButtonAction): string => body.channel?.id ?? body.container?.channel_id ?? '';

function parseFailoverValue(raw: string | undefined): { site: string; key: string } | null {
  try {
    const v = parseBoundedJson(raw ?? '', { maxBytes: 2000, maxDepth: 2 }) as {
      site?: unknown;
      key?: unknown;
    };
    return typeof v.site === 'string' && typeof v.key === 'string' ? { site: v.site, key: v.key } : null;
  } catch {
    return null;
  }
}

/**
 * "Fail over" hands off to the two-person approval flow with the alarms as evidence; "Acknowledge" records
 * who (shown in the message, written to the audit log). Ack first (Slack's 3 s), answers go to the clicker only.
 */
export function registerAlarmActions(bolt: App, deps: AlarmActionDeps): void {
  const tell = (body: BlockButtonAction, text: string) =>
    deps.chat.postEphemeral(channelOf(body), body.user.id, { text });

  bolt.action<BlockButtonAction>(ALARM_ACTIONS.acknowledge, async ({ ack, body, action }) => {
    await ack();
    const acked = await deps.alarms.acknowledge(action.value ?? '', body.user.id);
    deps.log.info({ user: body.user.id, alarms: acked.map((r) => r.name) }, 'alarms acknowledged');
    if (!acked.length)
      await tell(body, 'Nothing to acknowledge here: these alarms are resolved or already acknowledged.');
  });

  bolt.action<BlockButtonAction>(ALARM_ACTIONS.failover, async ({ ack, body, action }) => {
    await ack();
    const target = parseFailoverValue(action.value);
    if (!target) {
      await tell(body, 'This button is malformed; use `/vpn failover <site> "<reason>"` instead.');
      return;
    }
    const firing = (await deps.alarms.alarmsOf(target.key)).filter((r) => r.state === 'ALARM');
    const outcome = await deps.approvals.request({
      action: 'failover',
      site: target.site,
      requester: body.user.id,
      reason: firing.length
        ? `alarm: ${firing
            .map((r) => r.name)
            .join(', ')
            .slice(0, 200)}`
        : 'requested from an alarm',
      evidence: firing.map((r) => `${r.name} in ALARM since ${r.since}: ${r.reason}`.slice(0, 300)),
    });
    deps.log.info(
      { user: body.user.id, site: target.site, ok: outcome.ok },
      'failover requested from an alarm',
    );
    await tell(body, alarmFailoverReply(outcome));
  });
}
