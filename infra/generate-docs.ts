/** `npm run docs`: writes the generated documents from their sources (a test fails when one is stale). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceMarkdown } from '../src/config/topology-reference.js';
import { REPO_ROOT } from './lib/common/repo-root.js';
import { costMarkdown } from './lib/costs/cost-markdown.js';

export const GENERATED_DOCS: ReadonlyArray<readonly [string, () => string]> = [
  ['docs/tunnels-yml.md', referenceMarkdown],
  ['docs/costs.md', costMarkdown],
];

if (process.argv[1]?.endsWith('generate-docs.ts')) {
  for (const [path, render] of GENERATED_DOCS) {
    writeFileSync(join(REPO_ROOT, path), render());
    process.stdout.write(`wrote ${path}\n`);
  }
}
