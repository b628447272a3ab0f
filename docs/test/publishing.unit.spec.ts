import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

// What a package needs to be publishable and usable outside the monorepo, checked on every package's
// manifest and sources. The consumer-project stage of .ci/run (scripts/consumer-check.mjs) proves the
// packed tarballs install and run; this suite names the culprit when a manifest drifts.

const ROOT = join(__dirname, '..', '..');
const PUBLIC = ['core', 'projections', 'testing', 'sqlite', 'eventstoredb', 'postgres', 'cli'];
/** Libraries that must exist once per application: peers, never dependencies. */
const ONCE_PER_APP = ['reflect-metadata', 'class-validator', 'class-transformer', 'inversify'];

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  engines?: { node?: string };
  publishConfig?: { access?: string };
  files?: string[];
  exports?: Record<string, string | { types?: string; default?: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The packages a source file imports or requires (bare specifiers, by package name). */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:(?<![\w'-])(?:from|import)\s+|\b(?:require|import)\()'([^'.][^']*)'/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe.each(PUBLIC)('@rewind/%s, as published', (name) => {
  const dir = join('packages', name);
  const pkg = manifest(dir);

  it('has the metadata a registry page and a user need', () => {
    expect(pkg.name).toBe(`@rewind/${name}`);
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(pkg.keywords?.length).toBeGreaterThan(2);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\//);
    expect(pkg.repository).toEqual({
      type: 'git',
      url: expect.stringMatching(/^git\+https:/),
      directory: dir,
    });
    expect(pkg.engines?.node).toBe(manifest('.').engines?.node);
    expect(pkg.publishConfig?.access).toBe('public'); // scoped packages publish restricted by default
  });

  it('ships its LICENSE and CHANGELOG, and no build-info files', () => {
    expect(readFileSync(join(ROOT, dir, 'LICENSE'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
    );
    expect(readFileSync(join(ROOT, dir, 'CHANGELOG.md'), 'utf8')).toContain(`## ${pkg.version}`);
    expect(pkg.files).toEqual(
      expect.arrayContaining(['dist', 'src', 'LICENSE', 'CHANGELOG.md', '!dist/.tsbuildinfo']),
    );
  });

  it('has a README whose links work on the registry page (absolute)', () => {
    const readme = readFileSync(join(ROOT, dir, 'README.md'), 'utf8');
    const relativeLinks = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((link) => !/^(https?:|mailto:|#)/.test(link));
    expect(relativeLinks).toEqual([]);
  });

  it('exports only entry points that have a source file', () => {
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target === 'string') continue;
      const source = target.default!.replace('./dist/', 'src/').replace(/\.js$/, '.ts');
      expect([subpath, existsSync(join(ROOT, dir, source))]).toEqual([subpath, true]);
    }
  });

  it('declares every package its sources import, and keeps once-per-app libraries as peers', () => {
    const declared = new Set([
      pkg.name,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const undeclared = sourceFiles(join(ROOT, dir, 'src')).flatMap((file) =>
      importedPackages(file)
        .filter((imported) => !declared.has(imported))
        .map((imported) => `${relative(ROOT, file)} imports ${imported}`),
    );
    expect(undeclared).toEqual([]);
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => ONCE_PER_APP.includes(d))).toEqual([]);
  });
});
