import type { App, RespondArguments } from '@slack/bolt';
import { parseVpnCommand, type VpnCommand } from '../../domain/vpn-command.js';
import { type Logger, logFailure } from '../../log.js';
import { failedOnOurSideText } from '../views/failure-view.js';
import { helpMessage } from '../views/help-view.js';
import { notEnabledReply, parseErrorReply } from '../views/vpn-reply-view.js';
import { OK, type ReplyOutcome, refusedWith, replyMetadata } from './vpn-reply-outcome.js';

export interface CommandContext {
  userId: string;
  channelId: string;
  /**
   * Replies through the command's response_url (ephemeral unless response_type says otherwise). The outcome
   * travels as the reply's metadata, so a client decides on it rather than on the text.
   */
  respond: (message: RespondArguments, outcome: ReplyOutcome) => Promise<unknown>;
  log: Logger;
}

export type CommandHandlers = {
  [K in Exclude<VpnCommand['kind'], 'help'>]?: (
    command: Extract<VpnCommand, { kind: K }>,
    ctx: CommandContext,
  ) => Promise<void>;
};

/** The one place a `/vpn` reply gets its typed outcome (Slack message metadata). */
const withOutcome = (message: RespondArguments, outcome: ReplyOutcome): RespondArguments => ({
  ...message,
  metadata: replyMetadata(outcome),
});

/**
 * `/vpn`: ack at once (Slack gives 3 s), then do the work and reply through response_url.
 * Help and parse errors are answered in the ack itself.
 */
export function registerVpnCommand(app: App, handlers: CommandHandlers, log: Logger): void {
  app.command('/vpn', async ({ command, ack, respond }) => {
    if (typeof command.user_id !== 'string' || typeof command.response_url !== 'string') {
      await ack(
        withOutcome(
          { response_type: 'ephemeral', text: 'This request is missing user_id or response_url.' },
          refusedWith('bad-command'),
        ),
      );
      return;
    }
    const parsed = parseVpnCommand(typeof command.text === 'string' ? command.text : '');
    if (!parsed.ok) {
      await ack(
        withOutcome(
          { response_type: 'ephemeral', text: parseErrorReply(parsed.error) },
          refusedWith('bad-command'),
        ),
      );
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') {
      await ack(withOutcome(helpMessage(), OK));
      return;
    }
    const handler = handlers[cmd.kind] as ((c: VpnCommand, ctx: CommandContext) => Promise<void>) | undefined;
    if (!handler) {
      await ack(
        withOutcome(
          { response_type: 'ephemeral', text: notEnabledReply(cmd.kind) },
          refusedWith('not-enabled'),
        ),
      );
      return;
    }
    await ack();
    const reqLog = log.child({ command: cmd.kind, user: command.user_id });
    const ctx: CommandContext = {
      userId: command.user_id,
      channelId: command.channel_id,
      respond: (message, outcome) => respond(withOutcome(message, outcome)),
      log: reqLog,
    };
    try {
      await handler(cmd, ctx);
    } catch (err) {
      const errorId = logFailure(reqLog, err, 'command failed');
      await respond(
        withOutcome(
          { response_type: 'ephemeral', text: failedOnOurSideText(errorId, `\`/vpn ${cmd.kind}\``) },
          { outcome: 'failed', errorId },
        ),
      );
    }
  });
}
