import { type CdkDiff, summarizeDiff } from '../domain/cdk-diff.js';
import type { RiskReport } from '../domain/tunnel-risk.js';

/** Marks our sticky comment so it is found and updated rather than duplicated. */
export const COMMENT_MARKER = '<!-- tunnelops:diff -->';
/** GitHub rejects comment bodies over 65,536 characters; keep a margin for the marker and footer. */
export const MAX_COMMENT = 65_000;

export interface DiffCommentInput {
  sha: string;
  diff: CdkDiff;
  risk: RiskReport;
  justification: string | null;
  /** Full diff (workflow run / artifact) for when the comment is truncated. */
  detailsUrl: string;
  deployments?: string[];
}

export function riskConclusion(
  risk: RiskReport,
  justification: string | null,
): 'success' | 'neutral' | 'failure' {
  if (risk.bothTunnelsDown.length > 0 && !justification) return 'failure';
  return risk.risks.length > 0 ? 'neutral' : 'success';
}

export function renderRiskSummary(input: DiffCommentInput): string {
  const { risk, justification } = input;
  const lines: string[] = [];
  if (risk.bothTunnelsDown.length) {
    lines.push(
      justification
        ? `:warning: takes down **both tunnels** of ${risk.bothTunnelsDown.join(', ')}; the PR says why: "${justification}"`
        : `:no_entry: takes down **both tunnels** of ${risk.bothTunnelsDown.join(', ')} in one deploy. Split the change, or add a \`tunnel-risk: <why>\` line to the PR description.`,
    );
  }
  if (risk.risks.length === 0)
    lines.push(':white_check_mark: no tunnel is restarted, replaced or re-addressed by this change.');
  for (const r of risk.risks)
    lines.push(`- **${r.site}${r.tunnel ? `/${r.tunnel}` : ''}**: ${r.message} — \`${r.resource.path}\``);
  return lines.join('\n');
}

/** The sticky PR comment: diff summary per stack and the tunnel risk; truncated with a link, never over the limit. */
export function renderDiffComment(input: DiffCommentInput): string {
  const table = [
    '| stack | added | modified | replaced | destroyed |',
    '|---|---:|---:|---:|---:|',
    ...summarizeDiff(input.diff).map(
      (s) => `| ${s.stack} | ${s.add} | ${s.modify} | ${s.replace} | ${s.destroy} |`,
    ),
  ].join('\n');
  const head = `${COMMENT_MARKER}\n### tunnelops: infrastructure diff for \`${input.sha.slice(0, 7)}\`\n\n#### Tunnel risk\n${renderRiskSummary(input)}\n\n#### Changes\n${table}\n`;
  const deployments = input.deployments?.length
    ? `\n#### Deployments\n${input.deployments.map((d) => `- ${d}`).join('\n')}\n`
    : '';
  const details = input.diff.stacks
    .map(
      (s) =>
        `**${s.stack}**\n${s.resources.map((r) => `- \`[${r.change}]\` ${r.type} \`${r.path}\``).join('\n')}`,
    )
    .join('\n\n');
  const footer = `\n[full diff](${input.detailsUrl})`;
  let body = `${head}${deployments}\n<details><summary>Resources</summary>\n\n${details}\n\n</details>\n${footer}`;
  if (body.length > MAX_COMMENT) {
    const room = MAX_COMMENT - head.length - deployments.length - footer.length - 200;
    body = `${head}${deployments}\n<details><summary>Resources (truncated)</summary>\n\n${details.slice(0, Math.max(0, room))}\n\n… truncated: see the full diff.\n\n</details>\n${footer}`;
  }
  return body.slice(0, MAX_COMMENT);
}
