import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@rewind/sqlite';
import { describeRebuild } from '../../projections/test/fixtures/rebuildSuite';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeRebuild('SqliteReadModelStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-rebuild-'));
  dirs.push(dir);
  return SqliteReadModelStore.open(join(dir, 'readmodels.db'));
});
