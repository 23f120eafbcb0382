/** The `/vpn` command language. Pure: text in, a command or a clear error out; never throws. */
export type VpnCommand =
  | { kind: 'help' }
  | { kind: 'status'; site?: string }
  | { kind: 'failover'; site: string; to?: string; reason?: string }
  | { kind: 'redeploy'; site: string; tunnel: string; force: boolean; reason?: string }
  | { kind: 'rotate'; site: string; reason?: string }
  | { kind: 'history'; site?: string }
  | { kind: 'pending'; site?: string }
  | { kind: 'certs'; site?: string }
  | { kind: 'cancel'; requestId: string };

export type ParseResult = { ok: true; command: VpnCommand } | { ok: false; error: string };

export const USAGE: ReadonlyArray<readonly [string, string]> = [
  ['/vpn status [site]', 'which tunnel carries traffic and how healthy each one is'],
  [
    '/vpn failover <site> [--to <tunnel>] [reason]',
    'ask to move traffic to the other tunnel (a second approver must approve)',
  ],
  [
    '/vpn redeploy <site> <tunnel> [--force] [reason]',
    "ask to restart a tunnel's server (a second approver must approve)",
  ],
  [
    '/vpn rotate <site> [reason]',
    "ask to put the site's servers on their newly published certificates, standby first, with no outage (a second approver must approve)",
  ],
  ['/vpn history [site]', 'recent failovers, redeploys and approvals'],
  ['/vpn pending [site]', 'open requests waiting for an approver (or running)'],
  ['/vpn certs [site]', 'every certificate in play: expiry, days left, revoked'],
  [
    '/vpn cancel <request-id>',
    "withdraw your own pending request (any approver may withdraw the controller's proposals)",
  ],
  ['/vpn help', 'this list'],
];

const MAX_TEXT = 4000;
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const REQUEST_ID = /^[A-Za-z0-9-]{4,64}$/;

/** Splits on whitespace, keeping "quoted phrases" (straight or curly quotes) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  return tokens;
}

const fail = (error: string): ParseResult => ({ ok: false, error });
const done = (command: VpnCommand): ParseResult => ({ ok: true, command });

function checkName(value: string | undefined, what: string): string | null {
  if (value === undefined) return `missing ${what}`;
  if (!NAME.test(value)) {
    // Names are lower case: "DC1" is almost certainly "dc1".
    const lower = value.toLowerCase();
    const hint = NAME.test(lower) ? `; did you mean "${lower}"?` : '';
    return `"${value.slice(0, 40)}" is not a valid ${what} name${hint}`;
  }
  return null;
}

const reasonOf = (rest: string[]): string | undefined =>
  rest.length ? rest.join(' ').slice(0, 500) : undefined;

export function parseVpnCommand(text: string): ParseResult {
  if (text.length > MAX_TEXT)
    return fail(`the command is too long (${text.length} characters; at most ${MAX_TEXT})`);
  const [verb, ...args] = tokenize(text.trim());
  const kind = (verb ?? 'help').toLowerCase();
  switch (kind) {
    case 'help':
    case '--help':
    case '-h':
    case '':
      return done({ kind: 'help' });
    case 'status':
    case 'history':
    case 'pending':
    case 'certs':
      return parseSiteQuery(kind, args);
    case 'failover':
      return parseFailover(args);
    case 'redeploy':
      return parseRedeploy(args);
    case 'rotate':
      return parseRotate(args);
    case 'cancel':
      return parseCancel(args);
    default:
      return fail(`unknown command "${(verb ?? '').slice(0, 40)}". Try /vpn help`);
  }
}

/** `/vpn status|history|pending|certs [site]`. */
function parseSiteQuery(kind: 'status' | 'history' | 'pending' | 'certs', args: string[]): ParseResult {
  if (args.length > 1) return fail(`usage: /vpn ${kind} [site]`);
  if (args[0] === undefined) return done({ kind });
  const bad = checkName(args[0], 'site');
  return bad ? fail(bad) : done({ kind, site: args[0] });
}

/** `/vpn failover <site> [--to <tunnel>] [reason]`: the reason is every word that is not the option. */
function parseFailover(args: string[]): ParseResult {
  const [site, ...rest] = args;
  const bad = checkName(site, 'site');
  if (bad || site === undefined) return fail(`${bad}. usage: /vpn failover <site> [--to <tunnel>] [reason]`);
  let to: string | undefined;
  const reason: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--to') {
      to = rest[++i];
      const badTo = checkName(to, 'tunnel');
      if (badTo) return fail(`${badTo} after --to`);
    } else reason.push(rest[i]!);
  }
  return done({
    kind: 'failover',
    site,
    ...(to ? { to } : {}),
    ...(reason.length ? { reason: reasonOf(reason) } : {}),
  });
}

/** `/vpn redeploy <site> <tunnel> [--force] [reason]`. */
function parseRedeploy(args: string[]): ParseResult {
  const [site, tunnel, ...rest] = args;
  const bad = checkName(site, 'site') ?? checkName(tunnel, 'tunnel');
  if (bad || site === undefined || tunnel === undefined)
    return fail(`${bad}. usage: /vpn redeploy <site> <tunnel> [--force] [reason]`);
  const reason = rest.filter((r) => r !== '--force');
  return done({
    kind: 'redeploy',
    site,
    tunnel,
    force: rest.includes('--force'),
    ...(reason.length ? { reason: reasonOf(reason) } : {}),
  });
}

/** `/vpn rotate <site> [reason]`. */
function parseRotate(args: string[]): ParseResult {
  const [site, ...rest] = args;
  const bad = checkName(site, 'site');
  if (bad || site === undefined) return fail(`${bad}. usage: /vpn rotate <site> [reason]`);
  return done({ kind: 'rotate', site, ...(rest.length ? { reason: reasonOf(rest) } : {}) });
}

/** `/vpn cancel <request-id>`. */
function parseCancel(args: string[]): ParseResult {
  const [id] = args;
  if (!id || args.length > 1 || !REQUEST_ID.test(id)) return fail('usage: /vpn cancel <request-id>');
  return done({ kind: 'cancel', requestId: id });
}
