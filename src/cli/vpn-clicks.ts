import type { ApprovalResult, ApprovalState } from '../domain/approval.js';
import type { SlackCommandClient } from '../local/slack-command-client.js';
import { entriesAfter, type TranscriptLine, transcriptMark } from './transcript.js';
import { type CliOptions, EXIT, UsageError } from './vpn-args.js';
import type { ServerApi } from './vpn-server.js';

/** How long the CLI waits for the outcome of a click (a sandbox failover takes about a second). */
export const CLICK_TIMEOUT_MS = 30_000;
const POLL_MS = 150;

interface RequestJson {
  id: string;
  action: string;
  site: string;
  state: ApprovalState;
  requester: string;
  approver?: string;
  closedBy?: string;
  denyReason?: string;
  result?: ApprovalResult;
}

export interface ClickDeps {
  opts: CliOptions;
  slack: SlackCommandClient;
  api: ServerApi;
  /** Prints Slack text (markup rendered). */
  show: (blocks: unknown[] | undefined, text: string) => string;
  out: (line: string) => void;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clickPayload(opts: CliOptions, slack: SlackCommandClient, verb: string, id: string) {
  return {
    type: 'block_actions',
    user: { id: opts.user, username: opts.user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    channel: { id: 'C0SANDBOX1', name: 'tunnelops' },
    container: { type: 'message', channel_id: 'C0SANDBOX1', is_ephemeral: false },
    trigger_id: `${Date.now()}.0000.cli`,
    response_url: slack.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: `approval_${verb}`,
        block_id: 'approval_actions',
        value: id,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/**
 * Prints a refusal told only to this user after the mark (the transcript's position before the click), if one
 * was; says whether there was.
 */
function saidRefused(d: ClickDeps, mark: number): boolean {
  const refusal = entriesAfter(d.opts.dataDir, mark).find(
    (e) => e.method === 'chat.postEphemeral' && e.args.user === d.opts.user,
  );
  if (refusal)
    d.out(`refused (only you can see this): ${d.show(refusal.args.blocks, refusal.args.text ?? '')}`);
  return Boolean(refusal);
}

/** Clicks `verb` on request `id` as Slack would; the transcript mark before it, or undefined when refused (said). */
async function click(d: ClickDeps, verb: string, id: string): Promise<number | undefined> {
  const mark = transcriptMark(d.opts.dataDir);
  const res = await d.slack.interaction(clickPayload(d.opts, d.slack, verb, id));
  if (res.status === 200) return mark;
  d.out(`the server refused the click: HTTP ${res.status} ${res.body?.text ?? ''}`);
  return undefined;
}

/**
 * Waits until the click shows its effect: a refusal (ephemeral to the clicker) or the request reaching a
 * state that `done` accepts. Returns the exit status after printing the outcome.
 */
async function waitOutcome(
  d: ClickDeps,
  id: string,
  mark: number,
  done: (r: RequestJson) => boolean,
  describe: (r: RequestJson) => { line: string; ok: boolean },
): Promise<number> {
  const deadline = Date.now() + (d.timeoutMs ?? CLICK_TIMEOUT_MS);
  let saidRunning = false;
  while (Date.now() < deadline) {
    if (saidRefused(d, mark)) return EXIT.refused;
    const r = await d.api.json<RequestJson>(`/api/request?id=${encodeURIComponent(id)}`);
    if (done(r)) {
      const { line, ok } = describe(r);
      d.out(d.show(undefined, line));
      return ok ? EXIT.ok : EXIT.refused;
    }
    if (!saidRunning && (r.state === 'approved' || r.state === 'executing')) {
      d.out(d.show(undefined, `${id} approved by <@${r.approver ?? d.opts.user}>; running ...`));
      saidRunning = true;
    }
    await sleep(POLL_MS);
  }
  d.out(
    `no outcome for ${id} within ${Math.round((d.timeoutMs ?? CLICK_TIMEOUT_MS) / 1000)} s; see \`npm run vpn -- transcript\` and \`npm run vpn -- pending\`.`,
  );
  return EXIT.refused;
}

/** `approve <id>`: clicks Approve as Slack would, then prints what happened (routes moved, or why not). */
export async function approve(d: ClickDeps, id: string): Promise<number> {
  const before = await d.api.json<RequestJson>(`/api/request?id=${encodeURIComponent(id)}`);
  const mark = await click(d, 'approve', id);
  if (mark === undefined) return EXIT.refused;
  return waitOutcome(
    d,
    id,
    mark,
    // A request that was not pending can only be refused (the ephemeral reply says why): wait for that.
    (r) => before.state === 'pending' && !['pending', 'approved', 'executing'].includes(r.state),
    (r) =>
      r.state === 'succeeded'
        ? { ok: true, line: `${id} approved by <@${r.approver}> and done: ${r.result?.summary ?? ''}` }
        : r.state === 'failed'
          ? { ok: false, line: `${id} approved by <@${r.approver}> but failed: ${r.result?.summary ?? ''}` }
          : { ok: false, line: `${id} is now ${r.state}` },
  );
}

/** `deny <id> "<reason>"`: clicks Deny, fills the reason dialog and submits it, then prints the outcome. */
export async function deny(d: ClickDeps, id: string, reason: string): Promise<number> {
  const why = reason.trim();
  if (why.length < 3)
    throw new UsageError(
      `deny needs a reason of at least 3 characters, e.g. npm run vpn -- --as UAPPROVER2 deny ${id} "not during the release"; nothing was changed`,
    );
  await d.api.json<RequestJson>(`/api/request?id=${encodeURIComponent(id)}`); // 404 says "no request"
  const mark = await click(d, 'deny', id);
  if (mark === undefined) return EXIT.refused;
  const dialog = await reasonDialog(d, mark);
  if (!dialog || !(await submitReason(d, dialog, why))) return EXIT.refused;
  return waitOutcome(
    d,
    id,
    mark,
    (r) => r.state !== 'pending',
    (r) =>
      r.state === 'denied' && r.closedBy === d.opts.user
        ? { ok: true, line: `${id} denied by <@${r.closedBy}>: ${r.denyReason ?? why}. Nothing was changed.` }
        : {
            ok: false,
            line: `${id} is ${r.state}${r.closedBy ? ` (by <@${r.closedBy}>)` : ''}; not denied by you`,
          },
  );
}

type DialogView = NonNullable<TranscriptLine['args']['view']>;

/** The dialog Deny opens to ask why; undefined (said) when it refused at once, privately, or no dialog opened. */
async function reasonDialog(d: ClickDeps, mark: number): Promise<DialogView | undefined> {
  const deadline = Date.now() + 5_000;
  let dialog: TranscriptLine | undefined;
  while (!dialog && Date.now() < deadline) {
    if (saidRefused(d, mark)) return undefined;
    dialog = entriesAfter(d.opts.dataDir, mark).find((e) => e.method === 'views.open');
    if (!dialog) await sleep(POLL_MS);
  }
  const view = dialog?.args.view;
  if (!view) d.out('the reason dialog did not open within 5 s; nothing was denied');
  return view;
}

/** Submits the reason in the dialog as Slack would; false (said) when the dialog refused it. */
async function submitReason(d: ClickDeps, view: DialogView, why: string): Promise<boolean> {
  const submitted = await d.slack.interaction({
    type: 'view_submission',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    user: { id: d.opts.user, username: d.opts.user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    trigger_id: `${Date.now()}.0000.cli`,
    view: {
      id: 'V0CLI',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata ?? '',
      state: { values: { deny_reason: { reason: { type: 'plain_text_input', value: why } } } },
    },
  });
  const errors = (submitted.body as { errors?: Record<string, string> } | null)?.errors;
  if (submitted.status === 200 && !errors) return true;
  d.out(
    `the dialog refused the reason: ${errors ? Object.values(errors).join('; ') : `HTTP ${submitted.status}`}`,
  );
  return false;
}
