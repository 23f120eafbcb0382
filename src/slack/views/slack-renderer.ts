import type { ChatRenderer } from '../../ports/chat.js';
import { renderAlarmMessage, renderGroupMessage, renderThreadReply } from './alarm-view.js';
import { approvalMessage, progressReply } from './approval-view.js';
import { controllerNoticeMessage, fleetEventMessage, fleetEventReplies } from './controller-notice-view.js';

/** The services' views as Slack Block Kit messages. */
export const slackRenderer: ChatRenderer = {
  approval: (v) => approvalMessage(v.request, v),
  approvalProgress: progressReply,
  alarm: (v) =>
    v.kind === 'alarm'
      ? renderAlarmMessage(v.doc, v.record, v.movedTo)
      : renderGroupMessage(v.doc, v.records),
  alarmChange: (v) => renderThreadReply(v.record, v.from),
  controllerNotice: controllerNoticeMessage,
  fleetEvent: (v) => ({ message: fleetEventMessage(v), replies: fleetEventReplies(v) }),
};
