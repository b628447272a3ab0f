import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@rewind/sqlite';
import { describeEventStoreContract } from '@rewind/testing';

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-'));
  dirs.push(dir);
  return join(dir, 'events.db');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeEventStoreContract('SqliteEventStore (synchronous=FULL)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), pollIntervalMs: 20 }),
}));

describeEventStoreContract('SqliteEventStore (synchronous=NORMAL, small pages)', () => ({
  store: SqliteEventStore.open({ path: tempFile(), synchronous: 'normal', pageSize: 2, pollIntervalMs: 20 }),
}));
