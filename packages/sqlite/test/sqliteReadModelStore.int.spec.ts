import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@rewind/sqlite';
import { describeReadModelStoreContract } from '@rewind/testing/jest';

let dir: string;
describeReadModelStoreContract('SqliteReadModelStore', () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-rm-'));
  return {
    store: SqliteReadModelStore.open(join(dir, 'readmodels.db')),
    another: () => SqliteReadModelStore.open(join(dir, 'readmodels.db')),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

let tinyDir: string;
describeReadModelStoreContract('SqliteReadModelStore (document cache of 2 KiB: constant eviction)', () => {
  tinyDir = mkdtempSync(join(tmpdir(), 'rewind-rm-tiny-'));
  return {
    store: SqliteReadModelStore.open({ path: join(tinyDir, 'readmodels.db'), documentCacheBytes: 2048 }),
    dispose: async () => rmSync(tinyDir, { recursive: true, force: true }),
  };
});
