import type { Topology } from '../../config/topology-schema.js';
import type { ApprovalRequest } from '../../domain/approval.js';
import { findSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Chat, ChatMessageRef } from '../../ports/chat.js';

const MAX_PROGRESS_LINES = 8;

/**
 * Keeps each request's Slack message in step with the request: posted once, then updated in place
 * (chat.update) with progress and the result. Chat failures are logged, never thrown: Slack being down
 * must not stop or undo a route change.
 */
export class ApprovalNotifier {
  private readonly progress = new Map<string, string[]>();

  constructor(private readonly props: { topology: Topology; chat: Chat; log: Logger }) {}

  render(r: ApprovalRequest) {
    const site = findSite(this.props.topology, r.site);
    return this.props.chat.render.approval({
      request: r,
      approverUsers: site?.approvers.users ?? [],
      approverGroups: site?.approvers.userGroups ?? [],
      progress: this.progress.get(r.id) ?? [],
    });
  }

  async post(r: ApprovalRequest, channel: string): Promise<ChatMessageRef | null> {
    try {
      return await this.props.chat.post(channel, this.render(r));
    } catch (err) {
      this.props.log.error({ err, requestId: r.id }, 'could not post the approval request');
      return null;
    }
  }

  async update(r: ApprovalRequest): Promise<void> {
    if (!r.message) return;
    try {
      await this.props.chat.update(r.message, this.render(r));
    } catch (err) {
      this.props.log.warn({ err, requestId: r.id }, 'could not update the approval message');
    }
    // Progress is only for the live message; once the request is over, forget it.
    if (r.state !== 'executing' && r.state !== 'approved') this.progress.delete(r.id);
  }

  /**
   * A progress line goes into the request message; a redeploy or rotation (minutes of ECS rollout) also gets
   * each line as a reply in the message's thread, so the history of the rollout stays readable.
   */
  async addProgress(r: ApprovalRequest, line: string): Promise<void> {
    const lines = this.progress.get(r.id) ?? [];
    lines.push(line);
    this.progress.set(r.id, lines.slice(-MAX_PROGRESS_LINES));
    if (r.action !== 'failover' && r.message) {
      try {
        await this.props.chat.post(r.message.channel, {
          ...this.props.chat.render.approvalProgress(line),
          threadTs: r.message.ts,
        });
      } catch (err) {
        this.props.log.warn({ err, requestId: r.id }, 'could not post progress in the thread');
      }
    }
    await this.update(r);
  }

  async tell(channel: string, user: string, text: string): Promise<void> {
    try {
      await this.props.chat.postEphemeral(channel, user, { text });
    } catch (err) {
      this.props.log.warn({ err, user }, 'could not send the ephemeral reply');
    }
  }
}
