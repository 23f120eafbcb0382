import { describe, expect, it } from '@jest/globals';
import type { App, RespondArguments } from '@slack/bolt';
import { type CommandHandlers, registerVpnCommand } from '../../../src/slack/commands/vpn-command.js';
import { refusedWith } from '../../../src/slack/commands/vpn-reply-outcome.js';
import { captureLog } from '../../helpers/capture-log.js';

type Listener = (args: {
  command: Record<string, string>;
  ack: (m?: unknown) => Promise<void>;
  respond: (m: RespondArguments) => Promise<unknown>;
}) => Promise<void>;

/** Runs `/vpn <text>` through the registered listener, as Bolt would call it; returns the ack and the replies. */
async function runCommand(handlers: CommandHandlers, text: string) {
  let listener: Listener | undefined;
  const app = { command: (_name: string, fn: Listener) => (listener = fn) } as unknown as App;
  const { log, lines } = captureLog();
  registerVpnCommand(app, handlers, log);
  const acks: unknown[] = [];
  const replies: RespondArguments[] = [];
  await listener?.({
    command: { user_id: 'U1', channel_id: 'C1', response_url: 'https://hooks.slack.test/r', text },
    ack: async (m) => void acks.push(m),
    respond: async (m) => void replies.push(m),
  });
  return { acks, replies, lines };
}

describe('/vpn when a handler fails inside the bot', () => {
  it('acks, then replies with the one failure text naming the command and the logged error id', async () => {
    const { acks, replies, lines } = await runCommand(
      {
        status: async () => {
          throw new Error('store unreachable: secret detail');
        },
      },
      'status dc1',
    );
    expect(acks).toEqual([undefined]);
    const logged = lines.find((l) => l.msg === 'command failed');
    expect(logged?.errorId).toMatch(/^e/);
    expect(replies).toEqual([
      {
        response_type: 'ephemeral',
        text: `:x: Sorry, \`/vpn status\` failed on our side. Operators can look up error ${logged?.errorId} in the bot's log.`,
        metadata: {
          event_type: 'tunnelops_vpn_reply',
          event_payload: { outcome: 'failed', error_id: logged?.errorId },
        },
      },
    ]);
    expect(JSON.stringify(replies)).not.toContain('secret detail');
  });

  it('a handler that succeeds gets no failure reply', async () => {
    const { replies, lines } = await runCommand({ status: async () => {} }, 'status');
    expect(replies).toEqual([]);
    expect(lines.filter((l) => l.msg === 'command failed')).toEqual([]);
  });
});

describe('/vpn replies carry their outcome as Slack message metadata', () => {
  const outcomeOf = (m: unknown) =>
    (m as { metadata?: { event_type: string; event_payload: unknown } }).metadata;

  it('the acks: not enabled and a command that does not parse are refused, help is ok', async () => {
    const notEnabled = await runCommand({}, 'certs');
    expect(notEnabled.acks).toEqual([
      {
        response_type: 'ephemeral',
        text: '`/vpn certs` is not enabled on this deployment.',
        metadata: {
          event_type: 'tunnelops_vpn_reply',
          event_payload: { outcome: 'refused', code: 'not-enabled' },
        },
      },
    ]);
    const bad = await runCommand({}, 'status DC1');
    expect(outcomeOf(bad.acks[0])).toEqual({
      event_type: 'tunnelops_vpn_reply',
      event_payload: { outcome: 'refused', code: 'bad-command' },
    });
    const help = await runCommand({}, 'help');
    expect(outcomeOf(help.acks[0])).toEqual({
      event_type: 'tunnelops_vpn_reply',
      event_payload: { outcome: 'ok' },
    });
  });

  it("a handler's reply carries the outcome it gave, whatever its text says", async () => {
    const { replies } = await runCommand(
      {
        status: async (_cmd, ctx) => {
          await ctx.respond({ text: ':warning: two tunnels degraded' }, { outcome: 'ok' });
          await ctx.respond({ text: 'Unknown site "dc9".' }, refusedWith('unknown-site'));
        },
      },
      'status',
    );
    expect(replies.map(outcomeOf)).toEqual([
      { event_type: 'tunnelops_vpn_reply', event_payload: { outcome: 'ok' } },
      { event_type: 'tunnelops_vpn_reply', event_payload: { outcome: 'refused', code: 'unknown-site' } },
    ]);
    expect(replies.map((r) => r.text)).toEqual([':warning: two tunnels degraded', 'Unknown site "dc9".']);
  });
});
