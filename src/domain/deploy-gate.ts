/** Facts gathered from GitHub and the store about a `/deploy <env>` comment. Pure decision, no I/O. */
export interface DeployFacts {
  commenter: string;
  /** From the collaborator permission API: admin | maintain | write | triage | read | none. */
  commenterPermission: string;
  author: string;
  /** Latest review state per reviewer. */
  reviews: Array<{ user: string; state: string }>;
  /** Check runs on the head SHA (excluding this app's own deploy checks). */
  checks: Array<{ name: string; status: string; conclusion: string | null }>;
  mergeable: boolean | null;
  mergeableState: string;
  prState: string;
  lockHolder: { pr: number; by: string } | null;
  environment: string;
}

const GREEN = new Set(['success', 'neutral', 'skipped']);

/** Checked before anything is asked of GitHub: a command for an environment that does not exist. */
export function unknownEnvironment(environment: string, known: readonly string[]): string | null {
  return known.includes(environment)
    ? null
    : `unknown environment \`${environment}\` (known: ${known.join(', ')})`;
}

/** Another deploy holds the environment (seen by the gate, or by a lost race for the lock). */
export function lockedRefusal(environment: string, holder: { pr: number | string; by: string }): string {
  return `\`${environment}\` is locked by the deploy of #${holder.pr} (@${holder.by}); an admin can \`/unlock ${environment}\``;
}

/** A reviewer's latest review approved a commit other than the head: it does not count. */
export const STALE_APPROVAL = 'APPROVED_EARLIER_COMMIT';

/** Every reason the deploy to a known environment may not start; empty means go. */
export function deployRefusals(f: DeployFacts): string[] {
  const refusals: string[] = [];
  if (!['admin', 'maintain', 'write'].includes(f.commenterPermission)) {
    refusals.push(`@${f.commenter} needs write, maintain or admin permission (has ${f.commenterPermission})`);
  }
  if (f.prState !== 'open') refusals.push('the pull request is not open');
  const approvers = f.reviews.filter((r) => r.state === 'APPROVED' && r.user !== f.author).map((r) => r.user);
  const stale = f.reviews.filter((r) => r.state === STALE_APPROVAL && r.user !== f.author).map((r) => r.user);
  if (approvers.length === 0)
    refusals.push(
      stale.length
        ? `no approval of the head commit (${stale.map((u) => `@${u}`).join(', ')} approved an earlier commit; approve again)`
        : `no approving review from someone other than the author @${f.author}`,
    );
  if (f.reviews.some((r) => r.state === 'CHANGES_REQUESTED')) refusals.push('a reviewer requested changes');
  const pending = f.checks.filter((c) => c.status !== 'completed');
  const failed = f.checks.filter((c) => c.status === 'completed' && !GREEN.has(c.conclusion ?? ''));
  if (pending.length) refusals.push(`checks still running: ${pending.map((c) => c.name).join(', ')}`);
  if (failed.length)
    refusals.push(`checks not green: ${failed.map((c) => `${c.name} (${c.conclusion})`).join(', ')}`);
  if (f.mergeable === false || f.mergeableState === 'dirty')
    refusals.push('the pull request has merge conflicts');
  else if (f.mergeable === null)
    refusals.push('GitHub is still computing mergeability; try again in a moment');
  if (f.mergeableState === 'behind') refusals.push('the branch is behind its base; update it first');
  if (f.lockHolder) refusals.push(lockedRefusal(f.environment, f.lockHolder));
  return refusals;
}

export type PrCommand = { kind: 'deploy'; environment: string } | { kind: 'unlock'; environment: string };

/** `/deploy <env>` or `/unlock <env>` on the first line of a comment; anything else is not for us. */
export function parsePrCommand(body: string): PrCommand | null {
  const m = /^\/(deploy|unlock)\s+([a-z][a-z0-9-]{0,31})\s*$/.exec((body.split('\n')[0] ?? '').trim());
  if (!m) return null;
  return { kind: m[1] as 'deploy' | 'unlock', environment: m[2]! };
}
