import { parseVpnCommand, USAGE } from '../domain/vpn-command.js';

export interface CliOptions {
  user: string;
  url: string;
  dataDir: string;
  apiToken: string | undefined;
  raw: boolean;
  help: boolean;
  args: string[];
}

/** Exit status: 0 done, 1 refused or failed, 2 the command line itself is wrong. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** A mistake in the command line: printed with the usage hint, exit 2, nothing sent. */
export class UsageError extends Error {}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const args: string[] = [];
  let user = env.VPN_USER || 'UREQUESTER';
  let url = env.TUNNELOPS_URL || `http://127.0.0.1:${env.PORT || '3000'}`;
  let raw = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--as' || a === '--url') {
      const value = argv[++i];
      if (!value || value.startsWith('--')) throw new UsageError(`${a} needs a value`);
      if (a === '--as') user = value;
      else url = value;
    } else if (a === '--raw') raw = true;
    else if (a === '--help' || a === '-h') help = true;
    else args.push(a);
  }
  if (!/^[UW][A-Z0-9]{1,20}$/.test(user))
    throw new UsageError(`--as ${user}: expected a Slack user id such as UAPPROVER1`);
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--url ${url}: expected http(s)://host:port`);
  return {
    user,
    url: url.replace(/\/+$/, ''),
    dataDir: env.TUNNELOPS_DATA_DIR || '.data',
    apiToken: env.TUNNELOPS_API_TOKEN || undefined,
    raw,
    help: help || args[0] === 'help' || args.length === 0,
    args,
  };
}

/** The commands the CLI handles itself (button clicks and sandbox tools); the rest go to /vpn. */
export const CLI_VERBS: ReadonlySet<string> = new Set(['approve', 'deny', 'chaos', 'transcript']);

/** The arguments as the text of a slash command (an argument with spaces in quotes). */
export const slashText = (args: readonly string[]): string =>
  args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');

/**
 * Checks a /vpn command here, with the server's own parser, before anything is sent: a mistake (an unknown
 * command, a malformed name) is a command-line mistake (exit 2) with this CLI's hint, not Slack's.
 */
export function checkSlashCommand(args: readonly string[]): void {
  const parsed = parseVpnCommand(slashText(args));
  if (parsed.ok) return;
  throw new UsageError(
    parsed.error.replace(/\.?\s*Try \/vpn help\s*$/, '').replace(/usage: \/vpn /g, 'usage: npm run vpn -- '),
  );
}

const CLI_ONLY: ReadonlyArray<readonly [string, string]> = [
  ['approve <request-id>', 'click Approve; waits for the outcome (routes moved, or why it was refused)'],
  ['deny <request-id> "<reason>"', 'click Deny and give the reason (required, at least 3 characters)'],
  ['chaos break|heal <site> <tunnel>', "break or heal a tunnel's path (sandbox only)"],
  ['transcript [n] [--raw]', 'the last n messages the bot posted (sandbox), grouped; --raw: the API calls'],
  ['help, --help', 'this text'],
];

const column = (rows: ReadonlyArray<readonly [string, string]>): string[] => {
  const width = Math.max(...rows.map(([u]) => u.length)) + 2;
  return rows.map(([u, what]) => `  ${u.padEnd(width)}${what}`);
};

export function helpText(): string {
  return [
    'usage: npm run vpn -- [--as <user>] [--url <url>] <command> [args]',
    '',
    'Slack commands (sent as the signed slash command /vpn <command>):',
    ...column(USAGE.filter(([u]) => u !== '/vpn help').map(([u, what]) => [u.replace(/^\/vpn /, ''), what])),
    '',
    'Buttons and sandbox tools:',
    ...column(CLI_ONLY),
    '',
    'Options:',
    ...column([
      ['--as <user>', 'act as this Slack user id (default: $VPN_USER, else UREQUESTER)'],
      ['--url <url>', 'the tunnelops server (default: $TUNNELOPS_URL, else http://127.0.0.1:$PORT)'],
    ]),
    '',
    'Environment (also read from ./.env; the environment wins):',
    ...column([
      ['PORT', 'port of the local server when no URL is given (default 3000)'],
      ['TUNNELOPS_URL', 'the server, e.g. http://127.0.0.1:3457'],
      ['VPN_USER', 'default user for --as'],
      ['TUNNELOPS_DATA_DIR', "the server's data dir: signing secret and Slack transcript (default .data)"],
      ['TUNNELOPS_API_TOKEN', 'bearer token for /api/* when the server has one'],
      ['SLACK_SIGNING_SECRET', "sign requests with this instead of the sandbox's generated secret"],
    ]),
    '',
    'Sandbox users: UREQUESTER asks; UAPPROVER1 and UAPPROVER2 approve dc1. Exit status: 0 done,',
    '1 refused or failed (or the server is down), 2 a mistake on the command line.',
  ].join('\n');
}
