#!/usr/bin/env node
// The release procedure (docs/releasing.md) rehearsed without publishing: in a throwaway clone of HEAD,
// a sample changeset is versioned by changesets together with the pending ones (every @rewind/* package
// must reach the version changesets planned, together, with its changelog written and its internal
// dependencies bumped), then `npm publish --dry-run` runs for every
// public package of the working tree. Needs `npm run build` first. Nothing is pushed or published.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = ['core', 'projections', 'testing', 'sqlite', 'eventstoredb', 'postgres', 'cli'];
const CHANGESET = join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');
const failures = [];
const sh = (command, args, cwd) => {
  console.log(`$ ${command} ${args.join(' ')}`);
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};
const read = (dir, name) => JSON.parse(readFileSync(join(dir, 'packages', name, 'package.json'), 'utf8'));

const clone = mkdtempSync(join(tmpdir(), 'rewind-release-'));
try {
  sh('git', ['clone', '--quiet', ROOT, clone], ROOT);
  const before = read(clone, 'core').version;
  writeFileSync(
    join(clone, '.changeset', 'rehearsal.md'),
    `---\n'@rewind/sqlite': patch\n---\n\nA rehearsal of the release procedure.\n`,
  );
  console.log(sh('node', [CHANGESET, 'status', '--verbose'], clone));
  // The version every package must reach: what changesets plans for the fixed group, given the pending
  // changesets of the repository plus the rehearsal's patch (at least a patch above `before`).
  const plan = join(clone, 'release-plan.json');
  sh('node', [CHANGESET, 'status', `--output=${plan}`], clone);
  const planned = JSON.parse(readFileSync(plan, 'utf8'))
    .releases.filter((r) => PUBLIC.some((name) => r.name === `@rewind/${name}`))
    .map((r) => r.newVersion);
  const next = [...new Set(planned)];
  if (next.length !== 1) failures.push(`the fixed group would not move together: ${next.join(', ')}`);
  const above = (a, b) => {
    const [x, y] = [a, b].map((v) => v.split('.').map(Number));
    const i = x.findIndex((n, k) => n !== y[k]);
    return i >= 0 && x[i] > y[i];
  };
  if (!above(next[0], before)) failures.push(`the planned version ${next[0]} is not above ${before}`);
  console.log(sh('node', [CHANGESET, 'version'], clone));
  for (const name of PUBLIC) {
    const pkg = read(clone, name);
    if (pkg.version !== next[0])
      failures.push(`@rewind/${name} is at ${pkg.version} after versioning, not ${next[0]}`);
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      if (dep.startsWith('@rewind/') && range !== next[0])
        failures.push(`@rewind/${name} depends on ${dep}@${range}`);
    }
    const changelog = readFileSync(join(clone, 'packages', name, 'CHANGELOG.md'), 'utf8');
    if (!changelog.includes(`## ${next[0]}`))
      failures.push(`@rewind/${name}'s CHANGELOG.md has no ## ${next[0]}`);
  }
  const sqliteLog = readFileSync(join(clone, 'packages', 'sqlite', 'CHANGELOG.md'), 'utf8');
  if (!sqliteLog.includes('A rehearsal of the release procedure.'))
    failures.push('the changeset text is not in the changelog');
  console.log(`versioned ${before} → ${next[0]} in the rehearsal clone`);
} finally {
  rmSync(clone, { recursive: true, force: true });
}

for (const name of PUBLIC) {
  const out = execFileSync('npm', ['publish', '--dry-run', '-w', `packages/${name}`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  console.log(`npm publish --dry-run @rewind/${name}: ok${out.trim() ? `, ${out.trim()}` : ''}`);
}

if (failures.length > 0) {
  console.log(`release rehearsal FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
console.log('release rehearsal passed');
