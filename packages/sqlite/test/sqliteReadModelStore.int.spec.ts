import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@rewind/sqlite';
import { describeReadModelStoreContract } from '@rewind/testing';

let dir: string;
describeReadModelStoreContract('SqliteReadModelStore', () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-rm-'));
  return {
    store: SqliteReadModelStore.open(join(dir, 'readmodels.db')),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
