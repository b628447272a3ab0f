// One jest, three tiers chosen by file suffix (see CONTRIBUTING.md): unit (no I/O), int (a real store),
// e2e (the CLI and the example as processes). Sources are transformed by swc; types are checked by
// `npm run typecheck`, not here.
const fs = require('node:fs');
const path = require('node:path');

const swc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc.jest.json'), 'utf8'));
delete swc.$schema;

const base = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^cookie$': '<rootDir>/test-setup/cookie.js',
    '^@rewind/energy-bar-shop$': '<rootDir>/examples/energy-bar-shop/src',
    '^@rewind/(core|projections|testing|sqlite|eventstoredb|postgres|cli)$': '<rootDir>/packages/$1/src',
    // subpath exports (`@rewind/core/inversify`, `@rewind/testing/jest`...): one source file each
    '^@rewind/(core|projections|testing)/(inversify|jest|eventstoredb|postgres)$':
      '<rootDir>/packages/$1/src/$2',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['reflect-metadata'],
};

const tier = (name) => ({
  ...base,
  displayName: name,
  testMatch: [`<rootDir>/{packages,examples,docs}/**/test/**/*.${name}.spec.ts`],
  // testTimeout is ignored inside projects (jest 30), so each tier sets it in a setup file.
  setupFilesAfterEnv: [`<rootDir>/test-setup/timeout.${name}.js`],
});

// Jest is never forced to exit: child processes, gRPC servers, PostgreSQL clusters, timers and workers are closed by
// the suites themselves, and the run must end on its own.
module.exports = {
  projects: [tier('unit'), tier('int'), tier('e2e')],
};
