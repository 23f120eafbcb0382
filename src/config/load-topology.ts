import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { formatZodError } from './format-zod-error.js';
import { type Topology, topologySchema } from './topology-schema.js';

/** Parses topology text (YAML or JSON). Throws ConfigError naming every bad field. */
export function parseTopology(text: string, source = 'topology'): Topology {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  const result = topologySchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatZodError(result.error, source));
  return result.data;
}

export function loadTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read topology file ${path}: ${(err as Error).message}. Set TUNNELOPS_TOPOLOGY to its path.`,
    );
  }
  return parseTopology(text, path);
}
