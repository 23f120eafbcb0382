import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/**
 * The GitHub payloads in test/fixtures/github/ were taken from @octokit/webhooks-examples (GitHub's own
 * recorded deliveries) and adapted to the demo repository. This keeps them honest: every key path of a
 * fixture exists in one of the package's examples of the same event and action, so no test runs on a field
 * GitHub does not send. `installation` aside: GitHub adds it to deliveries for an App, which the public
 * examples (recorded without one) lack.
 */
interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const examples = (
  await import('@octokit/webhooks-examples/api.github.com/index.json', { with: { type: 'json' } })
).default as ExampleGroup[];
const DIR = new URL('../../fixtures/github/', import.meta.url);

const keyPaths = (o: unknown, prefix = ''): string[] =>
  o && typeof o === 'object' && !Array.isArray(o)
    ? Object.entries(o).flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)])
    : [];

/** The fixture's key paths that no example of its event and action has (the closest example's count). */
function invented(file: string): string[] {
  const [event, action] = file.replace(/\.json$/, '').split('.');
  const fixture = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as unknown;
  const candidates = (examples.find((g) => g.name === event)?.examples ?? []).filter(
    (e) => e.action === action,
  );
  if (candidates.length === 0) return [`(no ${event}.${action} example in @octokit/webhooks-examples)`];
  const mine = keyPaths(fixture).filter((p) => p !== 'installation' && !p.startsWith('installation.'));
  return candidates
    .map((c) => {
      const known = new Set(keyPaths(c));
      return mine.filter((p) => !known.has(p));
    })
    .sort((a, b) => a.length - b.length)[0]!;
}

describe('GitHub fixtures keep the wire format of @octokit/webhooks-examples', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has fixtures to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s: every field is one GitHub sends', (file) => {
    expect(invented(file)).toEqual([]);
  });

  it('notices a field GitHub does not send (the check itself)', () => {
    const known = new Set(keyPaths({ action: 'opened', pull_request: { number: 1 } }));
    expect(keyPaths({ action: 'opened', pull_request: { numbr: 1 } }).filter((p) => !known.has(p))).toEqual([
      'pull_request.numbr',
    ]);
  });
});
