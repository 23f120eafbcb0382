import type { WebClient } from '@slack/web-api';
import type { Chat, ChatMessage, ChatMessageRef } from '../ports/chat.js';
import { slackRenderer } from './views/slack-renderer.js';

/** The Chat port over Slack's Web API (or the local stand-in the sandbox points WebClient at). */
export class SlackChat implements Chat {
  readonly render = slackRenderer;

  constructor(private readonly client: WebClient) {}

  async post(channel: string, message: ChatMessage): Promise<ChatMessageRef> {
    const res = await this.client.chat.postMessage({
      channel,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    });
    return { channel: res.channel ?? channel, ts: String(res.ts) };
  }

  async update(ref: ChatMessageRef, message: ChatMessage): Promise<void> {
    await this.client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
    });
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    await this.client.chat.postEphemeral({
      channel,
      user,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
    });
  }

  async uploadFile(
    channel: string,
    file: { data: Buffer; filename: string; title: string; threadTs?: string },
  ): Promise<void> {
    const common = { channel_id: channel, file: file.data, filename: file.filename, title: file.title };
    await this.client.files.uploadV2(file.threadTs ? { ...common, thread_ts: file.threadTs } : common);
  }

  async userGroupMembers(groupId: string): Promise<string[]> {
    const res = await this.client.usergroups.users.list({ usergroup: groupId });
    return res.users ?? [];
  }
}
