import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, type TunnelOpsStacks } from '../../lib/build-app.js';
import { REPO_ROOT } from '../../lib/common/repo-root.js';

// Skip CDK's built-in CloudFormation schema validation (~4 s per synth); cdk-nag still runs where asked.
process.env.CDK_VALIDATION = 'false';

/** CloudFormation templates are untyped JSON. */
export type Template = Record<string, any>;

/** The example context from cdk.json, which is what `npm run synth` uses on a fresh clone. */
export function exampleContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

export interface Synthesized {
  app: App;
  stacks: TunnelOpsStacks;
  templates: Record<string, Template>;
  /** The cloud assembly directory, when kept (the caller removes it). */
  outdir?: string;
}

/** Builds and synthesizes the whole app once (call it in beforeAll). */
export function synthesize(
  opts: { context?: Record<string, unknown>; nag?: boolean; keepOutdir?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'tunnelops-cdk-'));
  const app = new App({ context: { ...exampleContext(), ...opts.context }, outdir });
  const stacks = buildApp(app, { nag: opts.nag ?? false });
  const assembly = app.synth();
  const templates = Object.fromEntries(
    stacks.all.map((s) => [s.stackName, assembly.getStackArtifact(s.artifactId).template as Template]),
  );
  if (opts.keepOutdir) return { app, stacks, templates, outdir };
  // Templates are in memory now; the assembly (with the bundled controller) is not needed.
  rmSync(outdir, { recursive: true, force: true });
  return { app, stacks, templates };
}

export function resourcesOfType(template: Template, type: string): [string, Template][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => (r as Template).Type === type) as [
    string,
    Template,
  ][];
}

/** Renders an intrinsic-laden value as text: Refs become <Ref>, imports <Import:name>, GetAtt <Id.Attr>. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const v = value as Template;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0]);
    if ('Fn::ImportValue' in v) return `<Import:${render(v['Fn::ImportValue'])}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    return JSON.stringify(v);
  }
  return String(value);
}

export interface FoundStatement {
  stack: string;
  resource: string;
  Effect: string;
  actions: string[];
  resources: string[];
  principal?: unknown;
  condition?: Template;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement of every identity and resource policy in the templates. */
export function allStatements(templates: Record<string, Template>): FoundStatement[] {
  const out: FoundStatement[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [id, r] of Object.entries(t.Resources ?? {}) as [string, Template][]) {
      const docs: unknown[] = [];
      const p = r.Properties ?? {};
      if (p.PolicyDocument) docs.push(p.PolicyDocument);
      if (p.KeyPolicy) docs.push(p.KeyPolicy);
      if (r.Type === 'AWS::IAM::Role') {
        for (const inline of list(p.Policies)) docs.push((inline as Template).PolicyDocument);
        docs.push(p.AssumeRolePolicyDocument);
      }
      for (const doc of docs) {
        for (const s of list((doc as Template | undefined)?.Statement) as Template[]) {
          out.push({
            stack,
            resource: id,
            Effect: s.Effect,
            actions: list(s.Action).map(render),
            resources: list(s.Resource).map(render),
            principal: s.Principal,
            condition: s.Condition,
          });
        }
      }
    }
  }
  return out;
}
