import { z } from 'zod';
import { topologySchema } from './topology-schema.js';

/**
 * The `tunnels.yml` reference, generated from the zod schema's own descriptions and examples (docs/tunnels-yml.md,
 * `npm run docs`), so the reference cannot drift from what the loader accepts. A test fails when the committed
 * file differs or a field has no description.
 */
type Json = {
  type?: string | string[];
  description?: string;
  examples?: unknown[];
  default?: unknown;
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  anyOf?: Json[];
  oneOf?: Json[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
};

export interface ReferenceRow {
  path: string;
  type: string;
  required: string;
  example: string;
  description: string;
}

const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function typeOf(s: Json): string {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' | ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.anyOf || s.oneOf) return 'one of the forms below';
  const t = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  return t === 'integer' ? 'integer' : t;
}

function limits(s: Json): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined && s.minItems === s.maxItems) parts.push(`exactly ${s.minItems}`);
  else {
    if (s.minItems !== undefined) parts.push(`at least ${s.minItems}`);
    if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems}`);
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Every field, depth first, with the path a YAML reader uses (`sites[].tunnels[].ecs.cluster`). */
export function referenceRows(): ReferenceRow[] {
  const root = z.toJSONSchema(topologySchema, { io: 'input' }) as Json;
  const rows: ReferenceRow[] = [];
  const walk = (s: Json, path: string, required: boolean, note = '') => {
    const alternatives = s.anyOf ?? s.oneOf ?? s.items?.anyOf ?? s.items?.oneOf;
    if (path) {
      rows.push({
        path,
        type: `${typeOf(s)}${limits(s)}`,
        required:
          s.default !== undefined
            ? `default ${code(s.default)}`
            : required
              ? `required${note}`
              : `optional${note}`,
        example: s.examples?.length ? code(s.examples[0]) : '',
        description: s.description ?? '',
      });
    }
    const fields = s.properties ?? s.items?.properties;
    const inner = s.properties ? path : `${path}[]`;
    for (const [key, child] of Object.entries(fields ?? {}))
      walk(child, inner ? `${inner}.${key}` : key, (s.required ?? s.items?.required ?? []).includes(key));
    if (alternatives) {
      const prefix = s.properties || !s.items ? path : `${path}[]`;
      const seen = new Set<string>();
      for (const alt of alternatives) {
        const kind = alt.properties?.kind?.const;
        for (const [key, child] of Object.entries(alt.properties ?? {})) {
          const childPath = `${prefix}.${key}`;
          // A field shared by every form (a discriminated union's `host`) is listed once.
          if (seen.has(childPath) && key !== 'kind') continue;
          seen.add(childPath);
          const only =
            kind !== undefined && key !== 'kind' && !alternatives.every((a) => a.properties?.[key]);
          walk(
            child,
            childPath,
            (alt.required ?? []).includes(key),
            only ? ` (kind ${code(kind)})` : ' (in this form)',
          );
        }
      }
    }
  };
  walk(root, '', true);
  return rows;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function referenceMarkdown(): string {
  const rows = referenceRows();
  return `<!-- Generated from src/config/topology-schema.ts by \`npm run docs\`; edit the schema, not this file. -->
# \`tunnels.yml\` reference

The topology file is the one source of truth for the bot, the failover controller, the monitors and \`infra/\`
(\`TUNNELOPS_TOPOLOGY\`, default \`tunnels.yml\`). A bad file stops every one of them at start with the path of each
bad field and what was expected. Slack values are **ids**, not names: a channel is \`C…\`/\`G…\`, a user \`U…\`/\`W…\`,
a user group \`S…\`. \`infra/\` creates what the file names (ECS clusters and services, the route per on-prem CIDR in
each route table, the instances it finds by tag); the file is also baked into the controller Lambda and read
by the bot and the servers, so a change reaches each of them with a deploy. An example is the repository's own
\`tunnels.yml\` (the sandbox's demo site).

| field | type | required / default | example | what it means |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.required)} | ${cell(r.example)} | ${cell(r.description)} |`).join('\n')}
`;
}
