/**
 * Structured form of `cdk diff` output: the PR diff workflow stores this as JSON and the GitHub App reads it.
 * Parsing the CLI's text keeps the workflow to one `cdk diff` call per PR.
 */
export type ResourceChange = 'add' | 'modify' | 'replace' | 'may-replace' | 'destroy';

export interface ResourceDiff {
  change: ResourceChange;
  type: string;
  /** Construct path as cdk prints it, e.g. "dc1/primary/Asg/ASG". */
  path: string;
  logicalId: string;
}

export interface StackDiff {
  stack: string;
  resources: ResourceDiff[];
}

export interface CdkDiff {
  stacks: StackDiff[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the CLI's ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g;
const STACK = /^Stack (\S+)/;
// "[~] AWS::EC2::LaunchTemplate dc1/primary/LaunchTemplate dc1primaryLaunchTemplate1A2B3C4D replace"
const RESOURCE =
  /^\[([+\-~])\] (AWS::[A-Za-z0-9:]+|Custom::\S+) (\S+) (\S+)(?: (replace|may be replaced|destroy))?\s*$/;

/** Parses the text of `cdk diff` (ANSI colour codes tolerated). Lines it does not understand are ignored. */
export function parseCdkDiffText(text: string): CdkDiff {
  const stacks: StackDiff[] = [];
  let current: StackDiff | undefined;
  let inResources = false;
  for (const rawLine of text.replace(ANSI, '').split('\n')) {
    const line = rawLine.trimEnd();
    const stack = STACK.exec(line);
    if (stack) {
      current = { stack: stack[1]!, resources: [] };
      stacks.push(current);
      inResources = false;
      continue;
    }
    if (/^[A-Z][A-Za-z ]+$/.test(line)) {
      inResources = line === 'Resources';
      continue;
    }
    if (!current || !inResources) continue;
    const m = RESOURCE.exec(line);
    if (!m) continue;
    const [, sign, type, path, logicalId, note] = m;
    current.resources.push({
      change: changeOf(sign!, note),
      type: type!,
      path: path!,
      logicalId: logicalId!,
    });
  }
  return { stacks };
}

function changeOf(sign: string, note: string | undefined): ResourceChange {
  if (sign === '+') return 'add';
  if (sign === '-') return 'destroy';
  if (note === 'replace') return 'replace';
  if (note === 'may be replaced') return 'may-replace';
  if (note === 'destroy') return 'destroy';
  return 'modify';
}

export interface DiffSummary {
  stack: string;
  add: number;
  modify: number;
  replace: number;
  destroy: number;
}

export function summarizeDiff(diff: CdkDiff): DiffSummary[] {
  return diff.stacks.map((s) => ({
    stack: s.stack,
    add: s.resources.filter((r) => r.change === 'add').length,
    modify: s.resources.filter((r) => r.change === 'modify').length,
    replace: s.resources.filter((r) => r.change === 'replace' || r.change === 'may-replace').length,
    destroy: s.resources.filter((r) => r.change === 'destroy').length,
  }));
}
