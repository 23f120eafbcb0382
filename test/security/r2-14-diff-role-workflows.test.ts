import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/env-schema.js';

// Review 2, item 14: a same-repo `pull_request` job whose workflow the PR edits could assume the CDK diff role
// (ReadOnlyAccess across the account through the lookup role). The role now trusts only the default branch
// (infra/test/server-host-privilege.test.ts, "14"); these check the workflows keep their side: no job a pull
// request triggers can ask for an OIDC token or name a role, and the one that uses the diff role runs from the
// default branch (workflow_run) and treats the PR's artifact as data.
const DIR = '.github/workflows';
type Workflow = {
  name: string;
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, any>;
};
const workflows = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((file) => ({ file, text: readFileSync(join(DIR, file), 'utf8') }))
  .map((w) => ({ ...w, wf: parse(w.text) as Workflow }));

/** The events that trigger a workflow, whichever form `on:` takes (string, list or map). */
const triggers = (on: unknown): string[] =>
  typeof on === 'string' ? [on] : Array.isArray(on) ? on.map(String) : Object.keys(on as object);
/** `id-token: write` at the workflow's or any job's level (or `write-all`). */
const asksForIdToken = (wf: Workflow): boolean =>
  [wf.permissions, ...Object.values(wf.jobs).map((j) => j.permissions)].some(
    (p) => p === 'write-all' || (typeof p === 'object' && p?.['id-token'] === 'write'),
  );
const namesARole = (text: string): boolean =>
  /role-to-assume|configure-aws-credentials|TUNNELOPS_(DIFF|DEPLOY)_ROLE_ARN|sts:|assume-role/i.test(text);

describe('review 2, item 14: no job a pull request triggers can reach an AWS role', () => {
  it('reads every workflow', () => {
    expect(workflows.map((w) => w.file).sort()).toEqual([
      'cdk-diff.yml',
      'cdk-synth.yml',
      'ci.yml',
      'deploy.yml',
    ]);
  });

  it('a workflow triggered by pull_request asks for no id-token and names no role; none uses pull_request_target', () => {
    const prTriggered = workflows.filter((w) => triggers(w.wf.on).includes('pull_request'));
    expect(prTriggered.map((w) => w.file).sort()).toEqual(['cdk-synth.yml', 'ci.yml']);
    for (const { file, wf, text } of prTriggered) {
      expect({ file, idToken: asksForIdToken(wf) }).toEqual({ file, idToken: false });
      expect({ file, role: namesARole(text) }).toEqual({ file, role: false });
    }
    // pull_request_target runs with the base's secrets next to the PR's code: not used at all.
    expect(workflows.filter((w) => triggers(w.wf.on).includes('pull_request_target'))).toEqual([]);
  });

  it('the diff role is used only by the workflow_run workflow, which runs no code of the PR', () => {
    const users = workflows.filter((w) => w.text.includes('TUNNELOPS_DIFF_ROLE_ARN'));
    expect(users.map((w) => w.file)).toEqual(['cdk-diff.yml']);
    const { wf, text } = users[0]!;
    // workflow_run always runs the default branch's definition; it follows only cdk-synth.
    expect(triggers(wf.on)).toEqual(['workflow_run']);
    expect((wf.on as any).workflow_run.workflows).toEqual(['cdk-synth']);
    // The App listens for this workflow's name (TUNNELOPS_DIFF_WORKFLOW's default).
    expect(wf.name).toBe(envSchema.shape.TUNNELOPS_DIFF_WORKFLOW.parse(undefined));
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps as Array<Record<string, any>>);
    // Checks out the default branch only (no ref of the PR), and takes the PR's assembly as an artifact.
    for (const s of steps.filter((s) => String(s.uses).startsWith('actions/checkout@')))
      expect(s.with?.ref).toBeUndefined();
    const download = steps.find((s) => String(s.uses).startsWith('actions/download-artifact@'))!;
    expect(download.with['run-id']).toMatch(/^\$\{\{ github\.event\.workflow_run\.id \}\}$/);
    // The PR's artifact is checked before the role is assumed: its size, an integer number, TunnelOps-* stacks.
    const check = steps.findIndex((s) => String(s.run).includes('pr.json'));
    const assume = steps.findIndex((s) =>
      String(s.uses).startsWith('aws-actions/configure-aws-credentials@'),
    );
    expect(check).toBeGreaterThan(-1);
    expect(check).toBeLessThan(assume);
    expect(steps[check]!.run).toMatch(/67108864/);
    expect(steps[check]!.run).toMatch(/floor/);
    expect(steps[check]!.run).toMatch(/startswith\("TunnelOps-"\)/);
    // Nothing of the artifact is executed: it is only read by the default branch's cdk as an assembly.
    const runs = steps.map((s) => String(s.run ?? '')).join('\n');
    expect(runs).not.toMatch(/(sh|bash|node|npx tsx|source|\.)\s+pr-artifact\//);
    expect(text).toMatch(/cdk diff --app pr-artifact\/cdk\.out/);
  });

  it('every action is pinned to a commit', () => {
    for (const { text } of workflows)
      for (const m of text.matchAll(/uses:\s*(\S+)/g)) expect(m[1]).toMatch(/@[0-9a-f]{40}$/);
  });
});
