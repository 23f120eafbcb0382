/**
 * `npm run vpn -- <command>`: drive a running tunnelops (the sandbox by default) the way Slack would:
 * signed slash commands and button clicks, replies printed as readable text. `npm run vpn -- help` lists
 * every command, option and environment variable.
 */
import { applyEnvFile } from '../config/env-file.js';
import { TunnelOpsError } from '../domain/errors.js';
import { SANDBOX_CHANNELS, SANDBOX_USERS } from '../local/sandbox-directory.js';
import { SlackCommandClient } from '../local/slack-command-client.js';
import { renderBlocks } from './render-blocks.js';
import { exitForReply } from './reply-exit.js';
import { formatDate, renderSlackMarkup } from './slack-markup.js';
import { terminalText } from './terminal-text.js';
import { transcriptEntries } from './transcript.js';
import { renderTranscript } from './transcript-render.js';
import {
  CLI_VERBS,
  type CliOptions,
  checkSlashCommand,
  EXIT,
  helpText,
  parseCliArgs,
  slashText,
  UsageError,
} from './vpn-args.js';
import { approve, deny } from './vpn-clicks.js';
import { ServerApi, ServerDownError, ServerRefusedError, signingSecret } from './vpn-server.js';

const out = (line: string) => console.log(line);
const names = { users: SANDBOX_USERS, channels: SANDBOX_CHANNELS };
type Show = (blocks: unknown[] | undefined, text: string) => string;

/** Slack's reply as plain terminal text: bold and colour only on a terminal (and not under NO_COLOR). */
function shower(raw: boolean): Show {
  const ansi = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const style = { ansi, formatDate: (ms: number) => formatDate(ms) };
  return (blocks, text) =>
    terminalText(renderSlackMarkup(renderBlocks(blocks, text, raw), names), style)
      // The CLI's own spelling of a command the bot suggests (`/vpn cancel fo-x`).
      .replace(/`\/vpn /g, '`npm run vpn -- ');
}

async function chaos(opts: CliOptions, api: ServerApi): Promise<number> {
  const [, action, site, tunnel, ...extra] = opts.args;
  if (!action || !site || !tunnel || extra.length || !['break', 'heal'].includes(action))
    throw new UsageError('usage: npm run vpn -- chaos break|heal <site> <tunnel>');
  const r = await api.json<{ site: string; tunnel: string; up: boolean }>('/api/sandbox/chaos', {
    site,
    tunnel,
    action,
  });
  out(
    r.up
      ? `${r.site}/${r.tunnel} healed: its probes succeed again (it becomes the standby; nothing fails back).`
      : `${r.site}/${r.tunnel} broken: its probes now fail. Watch \`npm run vpn -- status ${r.site}\` and \`npm run vpn -- transcript\`.`,
  );
  return EXIT.ok;
}

function transcript(opts: CliOptions, show: Show): number {
  const [, count] = opts.args;
  const n = count === undefined ? 10 : Number(count);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new UsageError('usage: npm run vpn -- transcript [n] [--raw]   (n from 1 to 1000)');
  const entries = transcriptEntries(opts.dataDir);
  out(renderTranscript(entries, { last: n, raw: opts.raw, show }));
  return EXIT.ok;
}

async function slash(opts: CliOptions, slack: SlackCommandClient, show: Show): Promise<number> {
  const text = slashText(opts.args);
  const ack = await slack.command(text, opts.user);
  if (ack.status !== 200) throw new ServerRefusedError(`the server answered ${ack.status} to /vpn ${text}`);
  let reply = ack.body?.text || ack.body?.blocks ? ack.body : undefined;
  if (!reply) {
    try {
      reply = (await slack.waitForReplies(1, 15_000))[0];
    } catch {
      throw new ServerRefusedError(`no reply to /vpn ${text} within 15 s; the server log says why`);
    }
  }
  out(show(reply?.blocks, reply?.text ?? ''));
  return exitForReply(reply);
}

async function run(argv: string[]): Promise<number> {
  applyEnvFile();
  const opts = parseCliArgs(argv, process.env);
  if (opts.help) {
    out(helpText());
    return EXIT.ok;
  }
  const verb = opts.args[0] ?? '';
  const show = shower(opts.raw);
  if (verb === 'transcript') return transcript(opts, show);
  if (!CLI_VERBS.has(verb)) checkSlashCommand(opts.args);
  const api = new ServerApi(opts);
  await api.reachable();
  if (verb === 'chaos') return chaos(opts, api);
  const slack = new SlackCommandClient(opts.url, signingSecret(opts.dataDir, process.env));
  await slack.open();
  try {
    if (verb === 'approve' || verb === 'deny') {
      const [, id, ...reason] = opts.args;
      if (!id)
        throw new UsageError(
          `usage: npm run vpn -- --as <user> ${verb} <request-id>${verb === 'deny' ? ' "<reason>"' : ''}`,
        );
      const deps = { opts, slack, api, show, out };
      return verb === 'approve' ? await approve(deps, id) : await deny(deps, id, reason.join(' '));
    }
    return await slash(opts, slack, show);
  } finally {
    await slack.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`vpn: ${err.message}\n(npm run vpn -- help lists every command)`);
      process.exit(EXIT.usage);
    }
    const known =
      err instanceof ServerDownError || err instanceof ServerRefusedError || err instanceof TunnelOpsError;
    console.error(`vpn: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}`);
    process.exit(EXIT.refused);
  },
);
