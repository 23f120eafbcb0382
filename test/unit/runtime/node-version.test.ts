import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/** One Node version everywhere: what the tests run on is what the images, workflows and Lambda ship. */
const read = (path: string) => readFileSync(path, 'utf8');
const nvmrc = read('.nvmrc').trim();
const major = nvmrc.split('.')[0]!;
const pkg = JSON.parse(read('package.json')) as {
  scripts: { start: string };
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe('the Node runtime', () => {
  it('is the version of .nvmrc, pinned as the devDependency npm scripts run on', () => {
    expect(nvmrc).toMatch(/^24\.\d+\.\d+$/);
    expect(process.version).toBe(`v${nvmrc}`);
    expect(pkg.devDependencies.node).toBe(nvmrc);
    expect(pkg.engines.node).toMatch(new RegExp(`^>=${major}\\.`));
  });

  it('is the base of every image that runs Node, and the target of every bundle', () => {
    for (const image of ['bot', 'openvpn-server']) {
      const dockerfile = read(join('images', image, 'Dockerfile'));
      expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${nvmrc}-`);
      for (const target of dockerfile.match(/--target=node\d+/g) ?? [])
        expect(target).toBe(`--target=node${major}`);
    }
    expect(read('infra/lib/site/failover-controller.ts')).toContain(`target: 'node${major}'`);
  });

  it("runs the bot image with npm start's flags (the heap size the benches measured)", () => {
    const flags = /^exec node (.*) app\.ts$/.exec(pkg.scripts.start)![1]!.split(' ');
    expect(flags).toContain('--max-semi-space-size=8');
    const cmd = /^CMD (\[.*\])$/m.exec(read('images/bot/Dockerfile'))![1]!;
    expect(JSON.parse(cmd)).toEqual(['node', ...flags, 'app.ts']);
  });

  it('is what every workflow sets up', () => {
    const dir = '.github/workflows';
    const workflows = readdirSync(dir).map((f) => read(join(dir, f)));
    const setups = workflows.flatMap(
      (w) => w.match(/actions\/setup-node@[^\n]*\n\s+with:\n\s+[^\n]+/g) ?? [],
    );
    expect(setups.length).toBe(workflows.length);
    for (const s of setups) expect(s).toMatch(/node-version-file: \.nvmrc$/);
  });
});
