// Every code block in the docs that is marked `<!-- snippet: <file>#<region> -->` must be exactly the
// region `// #region <region>` ... `// #endregion` of that file (relative to the repository root).
// The files are compiled by `tsc -b` and exercised by tests, so the docs cannot drift from code that
// runs. A code block without a marker is allowed only for shell commands and output.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
// Generated pages are not ours to check: docs/api (TypeDoc) and the site's build under docs/.vitepress.
const generated = [join(root, 'docs', 'api'), join(root, 'docs', '.vitepress')];
// Package READMEs are held to the same rule once they carry markers (see docs/README.md).
const docFiles = [
  join(root, 'README.md'),
  ...walk(join(root, 'docs')),
  ...packageReadmes().filter(hasMarkers),
].filter((f) => f.endsWith('.md'));

function hasMarkers(file: string): boolean {
  return readFileSync(file, 'utf8').includes('<!-- snippet:');
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || generated.includes(full)) return [];
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function packageReadmes(): string[] {
  const dirs = ['packages', 'examples'].flatMap((d) =>
    readdirSync(join(root, d)).map((p) => join(root, d, p, 'README.md')),
  );
  return dirs.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** The text of `// #region name` ... `// #endregion` in a file, dedented. */
export function region(file: string, name: string): string {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  if (start < 0) throw new Error(`${file} has no "// #region ${name}"`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (end < 0) throw new Error(`${file}: region ${name} has no "// #endregion"`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body
    .map((l) => l.slice(indent))
    .join('\n')
    .trim();
}

interface Block {
  doc: string;
  line: number;
  lang: string;
  code: string;
  marker?: { file: string; name: string };
}

function blocks(doc: string): Block[] {
  const lines = readFileSync(doc, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const previous = lines
      .slice(0, i)
      .reverse()
      .find((l) => l.trim() !== '');
    const marker = previous && /<!--\s*snippet:\s*(\S+)#(\S+)\s*-->/.exec(previous);
    out.push({
      doc,
      line: i + 1,
      lang: open[1] ?? '',
      code: lines
        .slice(i + 1, end)
        .join('\n')
        .trim(),
      ...(marker ? { marker: { file: marker[1]!, name: marker[2]! } } : {}),
    });
    i = end;
  }
  return out;
}

const all = docFiles.flatMap(blocks);
const tsBlocks = all.filter((b) => ['ts', 'typescript', 'js', 'javascript'].includes(b.lang));

describe('docs snippets', () => {
  it('finds the docs', () => {
    expect(docFiles.length).toBeGreaterThan(0);
  });

  const cases = tsBlocks.map((b) => [`${relative(root, b.doc)}:${b.line}`, b] as const);
  it('has code blocks to check', () => expect(cases.length).toBeGreaterThan(0));
  if (cases.length > 0) {
    it.each(cases)('%s is taken from a tested file', (_where, block) => {
      expect(block.marker).toBeDefined();
      expect(block.code).toBe(region(block.marker!.file, block.marker!.name));
    });
  }
});
