import type {
  AlarmChangeView,
  AlarmView,
  ApprovalView,
  FleetEventView,
  SiteNoticeView,
} from '../domain/message-views.js';

/** Messages outside a request/response cycle (alarms, approvals, controller notices). */
export interface ChatMessageRef {
  channel: string;
  ts: string;
}

export interface ChatMessage {
  text: string;
  blocks?: unknown[];
  threadTs?: string;
}

/** How the chat transport shows the services' views (Slack: Block Kit, src/slack/views). */
export interface ChatRenderer {
  approval(view: ApprovalView): ChatMessage;
  /** One progress line of a running request, as a reply in its message's thread. */
  approvalProgress(line: string): ChatMessage;
  alarm(view: AlarmView): ChatMessage;
  alarmChange(view: AlarmChangeView): ChatMessage;
  /** A failover controller's notice about one site. */
  controllerNotice(view: SiteNoticeView): ChatMessage;
  /** A correlated event's message (one site: as controllerNotice) and its thread replies, in order. */
  fleetEvent(view: FleetEventView): { message: ChatMessage; replies: ChatMessage[] };
}

export interface Chat {
  readonly render: ChatRenderer;
  post(channel: string, message: ChatMessage): Promise<ChatMessageRef>;
  update(ref: ChatMessageRef, message: ChatMessage): Promise<void>;
  postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void>;
  /** Attaches a file (a health graph PNG) to a channel or thread. */
  uploadFile(
    channel: string,
    file: { data: Buffer; filename: string; title: string; threadTs?: string },
  ): Promise<void>;
  /** Members of a Slack user group (usergroups.users.list). */
  userGroupMembers(groupId: string): Promise<string[]>;
  /** A user's display name (users.info), or null; optional: without it people are shown by id. */
  userName?(userId: string): Promise<string | null>;
}
