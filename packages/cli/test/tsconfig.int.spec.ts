import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTsconfig, readPathMapping } from '../src/config/tsconfig';

describe('readPathMapping', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-tsconfig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  it('reads paths relative to the tsconfig that sets them, through extends (without .json)', () => {
    write('config/base.json', '{ "compilerOptions": { "paths": { "@app/*": ["../src/*"] } } }');
    write('tsconfig.json', '{ "extends": "./config/base", "compilerOptions": { "strict": true, } }');
    expect(readPathMapping(join(dir, 'tsconfig.json'))).toEqual({
      file: join(dir, 'tsconfig.json'),
      paths: [{ pattern: '@app/*', targets: [join(dir, 'src', '*')] }],
    });
  });

  it('reads paths relative to baseUrl when set; the nearer file wins', () => {
    write('base.json', '{ "compilerOptions": { "baseUrl": "lib", "paths": { "x": ["x.ts"] } } }');
    write('tsconfig.json', '{ "extends": "./base.json", "compilerOptions": { "baseUrl": "src" } }');
    expect(readPathMapping(join(dir, 'tsconfig.json'))).toEqual({
      file: join(dir, 'tsconfig.json'),
      baseUrl: join(dir, 'src'),
      paths: [{ pattern: 'x', targets: [join(dir, 'src', 'x.ts')] }],
    });
  });

  it('ignores an extends it cannot find, and survives a cycle', () => {
    write('a.json', '{ "extends": "./tsconfig.json", "compilerOptions": { "paths": { "a": ["a"] } } }');
    write('tsconfig.json', '{ "extends": ["@nowhere/tsconfig", "./a.json"] }');
    expect(readPathMapping(join(dir, 'tsconfig.json')).paths).toEqual([
      { pattern: 'a', targets: [join(dir, 'a')] },
    ]);
  });

  it('names the file it cannot parse', () => {
    write('tsconfig.json', '{ "compilerOptions": ');
    expect(() => readPathMapping(join(dir, 'tsconfig.json'))).toThrow(
      `cannot read ${join(dir, 'tsconfig.json')}`,
    );
  });

  it('finds the nearest tsconfig.json upwards', () => {
    write('tsconfig.json', '{}');
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    expect(findTsconfig(join(dir, 'a', 'b'))).toBe(join(dir, 'tsconfig.json'));
  });
});
