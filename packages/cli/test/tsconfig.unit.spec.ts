import { candidates, parseJsonc, type PathMapping } from '../src/config/tsconfig';

describe('parseJsonc (tsconfig.json as TypeScript reads it)', () => {
  it('allows line and block comments and trailing commas', () => {
    const text = `{
      // a comment
      "compilerOptions": { /* inline */ "paths": { "@app/*": ["src/*",], }, },
    }`;
    expect(parseJsonc(text)).toEqual({ compilerOptions: { paths: { '@app/*': ['src/*'] } } });
  });

  it('keeps comment markers and ",}" inside strings', () => {
    expect(parseJsonc('{ "a": "http://x/*y*/", "b": ",}", "c": "say \\"//\\"" }')).toEqual({
      a: 'http://x/*y*/',
      b: ',}',
      c: 'say "//"',
    });
  });

  it('throws on what is not JSON once comments and trailing commas are gone', () => {
    expect(() => parseJsonc('{ "a": }')).toThrow(SyntaxError);
  });
});

describe('candidates (paths and baseUrl)', () => {
  const mapping: PathMapping = {
    file: '/p/tsconfig.json',
    paths: [
      { pattern: '@app/*', targets: ['/p/src/*', '/p/generated/*'] },
      { pattern: '@app/domain/*', targets: ['/p/domain/*'] },
      { pattern: 'config', targets: ['/p/config/index'] },
    ],
  };

  it('maps a specifier through the most specific matching pattern, in target order', () => {
    expect(candidates('@app/shop', mapping)).toEqual(['/p/src/shop', '/p/generated/shop']);
    expect(candidates('@app/domain/order', mapping)).toEqual(['/p/domain/order']);
  });

  it('maps an exact pattern, and nothing else', () => {
    expect(candidates('config', mapping)).toEqual(['/p/config/index']);
    expect(candidates('inversify', mapping)).toEqual([]);
  });

  it('tries baseUrl after the paths', () => {
    expect(candidates('@app/shop', { ...mapping, baseUrl: '/p' })).toEqual([
      '/p/src/shop',
      '/p/generated/shop',
      '/p/@app/shop',
    ]);
    expect(candidates('domain', { file: '/p/tsconfig.json', baseUrl: '/p/src', paths: [] })).toEqual([
      '/p/src/domain',
    ]);
  });
});
