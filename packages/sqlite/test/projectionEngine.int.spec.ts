import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@rewind/sqlite';
import { describeProjectionEngineContract } from '@rewind/testing/jest';

// A fresh file per test; each open() is another connection to it, as another process would have.
describeProjectionEngineContract('SqliteReadModelStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-engine-'));
  return {
    open: () => SqliteReadModelStore.open(join(dir, 'readmodels.db')),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
});
