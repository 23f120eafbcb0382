/**
 * `npm run vpn -- <command>`: drive a running tunnelops (the sandbox by default) the way Slack would:
 * signed slash commands and button clicks, replies printed as text.
 *
 *   npm run vpn -- status [site]               any /vpn command, as UREQUESTER
 *   npm run vpn -- --as UAPPROVER1 approve <request-id>
 *   npm run vpn -- --as UAPPROVER1 deny <request-id> "reason"
 *   npm run vpn -- chaos break|heal <site> <tunnel>   (sandbox only)
 *   npm run vpn -- transcript [n]              last Slack messages the bot sent (sandbox)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackCommandClient } from '../local/slack-command-client.js';
import { renderBlocks } from './render-blocks.js';
import { entriesAfter, type TranscriptLine, transcriptEntries, transcriptMark } from './transcript.js';

interface CliOptions {
  user: string;
  url: string;
  dataDir: string;
  args: string[];
}

function parseArgs(argv: string[]): CliOptions {
  const args: string[] = [];
  let user = process.env.VPN_USER ?? 'UREQUESTER';
  let url = process.env.TUNNELOPS_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--as') user = argv[++i] ?? user;
    else if (a === '--url') url = argv[++i] ?? url;
    else args.push(a);
  }
  return { user, url, dataDir: process.env.TUNNELOPS_DATA_DIR ?? '.data', args };
}

function signingSecret(dataDir: string): string {
  if (process.env.SLACK_SIGNING_SECRET) return process.env.SLACK_SIGNING_SECRET;
  const path = join(dataDir, 'slack-signing-secret');
  if (!existsSync(path)) {
    throw new Error(
      `no signing secret: set SLACK_SIGNING_SECRET or start the sandbox first (npm start) so ${path} exists`,
    );
  }
  return readFileSync(path, 'utf8').trim();
}

async function chaos(opts: CliOptions): Promise<void> {
  const [, action, site, tunnel] = opts.args;
  if (!action || !site || !tunnel || !['break', 'heal'].includes(action)) {
    throw new Error('usage: npm run vpn -- chaos break|heal <site> <tunnel>');
  }
  const res = await fetch(`${opts.url}/api/sandbox/chaos`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(process.env.TUNNELOPS_API_TOKEN
        ? { authorization: `Bearer ${process.env.TUNNELOPS_API_TOKEN}` }
        : {}),
    },
    body: JSON.stringify({ site, tunnel, action }),
  });
  console.log(`${res.status} ${await res.text()}`);
}

function transcript(opts: CliOptions): void {
  const entries = transcriptEntries(opts.dataDir);
  if (entries.length === 0) {
    console.log('(no Slack messages yet)');
    return;
  }
  for (const e of entries.slice(-Number(opts.args[1] ?? 10))) {
    console.log(`--- ${e.at} ${e.method} ${e.args.channel ?? ''} ${e.ts ?? ''}`);
    console.log(renderBlocks(e.args.blocks, e.args.text ?? ''));
  }
}

/** Deny opens a modal asking why; fill it in and submit it as Slack would (view_submission). */
async function submitDenyReason(
  opts: CliOptions,
  client: SlackCommandClient,
  mark: number,
  reason: string,
): Promise<void> {
  let opened: TranscriptLine | undefined;
  for (let waited = 0; waited < 3000 && !opened; waited += 150) {
    opened = entriesAfter(opts.dataDir, mark).find((x) => x.method === 'views.open');
    if (!opened) await new Promise((r) => setTimeout(r, 150));
  }
  const view = (opened?.args as { view?: { callback_id?: string; private_metadata?: string } } | undefined)
    ?.view;
  if (!view) return; // refused before the modal: the ephemeral reply says why
  const res = await client.interaction({
    type: 'view_submission',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    user: { id: opts.user, username: opts.user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    trigger_id: `${Date.now()}.0000.cli`,
    view: {
      id: 'V0CLI',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata ?? '',
      state: {
        values: {
          deny_reason: { reason: { type: 'plain_text_input', value: reason || 'denied from the CLI' } },
        },
      },
    },
  });
  console.log(
    res.status === 200 && !res.body ? 'submitted the reason' : `${res.status} ${JSON.stringify(res.body)}`,
  );
}

/** A button click as Slack sends it (block_actions), for the approval buttons. */
async function click(opts: CliOptions, client: SlackCommandClient): Promise<void> {
  const [verb, requestId, ...reason] = opts.args;
  const mark = transcriptMark(opts.dataDir);
  if (!requestId) throw new Error(`usage: npm run vpn -- --as <user> ${verb} <request-id>`);
  const res = await client.interaction({
    type: 'block_actions',
    user: { id: opts.user, username: opts.user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    channel: { id: 'C0SANDBOX1', name: 'tunnelops' },
    container: { type: 'message', channel_id: 'C0SANDBOX1', is_ephemeral: false },
    trigger_id: `${Date.now()}.0000.cli`,
    response_url: client.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: `approval_${verb}`,
        block_id: 'approval_actions',
        value: requestId,
        action_ts: String(Date.now() / 1000),
        ...(reason.length ? { reason: reason.join(' ') } : {}),
      },
    ],
  });
  console.log(
    res.status === 200
      ? `clicked ${verb} on ${requestId} as ${opts.user}`
      : `${res.status} ${JSON.stringify(res.body)}`,
  );
  if (verb === 'deny' && res.status === 200) await submitDenyReason(opts, client, mark, reason.join(' '));
  // Refusals are ephemeral messages to the clicker: show the ones the sandbox's Slack stand-in received.
  // The bot acks first and works after, so wait until it has said something (or 3 s).
  const after = () => entriesAfter(opts.dataDir, mark);
  for (let waited = 0; waited < 3000 && after().length === 0; waited += 150)
    await new Promise((r) => setTimeout(r, 150));
  await new Promise((r) => setTimeout(r, 200));
  for (const e of after().filter((x) => x.method === 'chat.postEphemeral' && x.args.user === opts.user)) {
    console.log(`(only you can see this) ${renderBlocks(e.args.blocks, e.args.text ?? '')}`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const verb = opts.args[0] ?? 'help';
  if (verb === 'chaos') return chaos(opts);
  if (verb === 'transcript') return transcript(opts);
  const client = new SlackCommandClient(opts.url, signingSecret(opts.dataDir));
  await client.open();
  try {
    if (verb === 'approve' || verb === 'deny') {
      await click(opts, client);
      return;
    }
    const text = opts.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
    const ack = await client.command(text, opts.user);
    if (ack.status !== 200) throw new Error(`the server answered ${ack.status}: ${JSON.stringify(ack.body)}`);
    if (ack.body) {
      console.log(renderBlocks(ack.body.blocks, ack.body.text ?? ''));
      return;
    }
    const [reply] = await client.waitForReplies(1, 15_000);
    console.log(renderBlocks(reply?.blocks, reply?.text ?? ''));
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(`vpn: ${(err as Error).message}`);
  process.exit(1);
});
