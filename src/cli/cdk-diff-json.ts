/** `tsx src/cli/cdk-diff-json.ts cdk-diff.txt > cdk-diff.json`: the PR diff workflow's structured diff. */
import { readFileSync } from 'node:fs';
import { parseCdkDiffText } from '../domain/cdk-diff.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: tsx src/cli/cdk-diff-json.ts <cdk diff output file>');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(parseCdkDiffText(readFileSync(path, 'utf8')), null, 2)}\n`);
