// Parses every ```mermaid block of the pages with mermaid itself, so that a broken diagram fails
// `npm run docs` instead of showing an error box in the browser (the site renders diagrams there).
// Run by `docs:build`; mermaid needs no DOM to parse, only DOMPurify's hooks, stubbed here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const purify = (await import('dompurify')).default;
purify.addHook ??= () => {};
purify.removeHook ??= () => {};
purify.sanitize ??= (text) => text;
const { default: mermaid } = await import('mermaid');

const docs = join(fileURLToPath(import.meta.url), '..', '..');
const skip = new Set(['node_modules', 'dist', 'api', 'src', 'test']);

function pages(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || skip.has(entry.name)) return [];
    const full = join(dir, entry.name);
    return entry.isDirectory() ? pages(full) : entry.name.endsWith('.md') ? [full] : [];
  });
}

let diagrams = 0;
let broken = 0;
for (const page of pages(docs)) {
  for (const match of readFileSync(page, 'utf8').matchAll(/^```mermaid\n([\s\S]*?)^```/gm)) {
    diagrams++;
    try {
      await mermaid.parse(match[1]);
    } catch (error) {
      broken++;
      console.error(`docs/${relative(docs, page)}: a mermaid diagram does not parse:\n${error.message}\n`);
    }
  }
}
if (broken) process.exit(1);
console.log(`${diagrams} mermaid diagrams parse.`);
