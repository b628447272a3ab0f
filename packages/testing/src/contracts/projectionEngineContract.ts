import { afterEach, describe } from '@jest/globals';
import { describeCatchingUp } from './projectionEngine/catchingUp';
import { describeCatchUpWindows } from './projectionEngine/catchUpWindows';
import { describeDeadLetters } from './projectionEngine/deadLetters';
import { describeExactlyOnce } from './projectionEngine/exactlyOnce';
import { EngineHarness, type CreateReadModelDatabase } from './projectionEngine/harness';
import { describeLeases } from './projectionEngine/leases';
import { describeReactors } from './projectionEngine/reactors';
import { describeRebuilds } from './projectionEngine/rebuilds';
import { describeStatus } from './projectionEngine/status';
import { describeVersions } from './projectionEngine/versions';

export type { CreateReadModelDatabase, ReadModelDatabase } from './projectionEngine/harness';
export { withUndecodableEvent } from './projectionEngine/undecodableEventStore';

/**
 * The projection engine's guarantees, specified once and proven on every read-model store: exactly
 * once across failed commits and killed processes, dead letters (and events that cannot be decoded),
 * leases and fencing, reactors, status, catching up without blocking the process (in windows of
 * several batches per commit, too), rebuilds that never
 * step back, and version bumps. `createDatabase` gives a fresh, empty database per test; its `open()`
 * gives a store on it — another connection on each call where the store has connections, so two
 * "processes" can share one database.
 *
 * @example
 * describeProjectionEngineContract('SqliteReadModelStore', () => {
 *   const path = join(mkdtempSync(join(tmpdir(), 'rm-')), 'readmodels.db');
 *   return { open: () => SqliteReadModelStore.open(path) };
 * });
 */
export function describeProjectionEngineContract(
  name: string,
  createDatabase: CreateReadModelDatabase,
): void {
  describe(`${name} (projection engine contract)`, () => {
    const harness = new EngineHarness(createDatabase);
    afterEach(() => harness.cleanup());
    describeExactlyOnce(harness);
    describeDeadLetters(harness);
    describeLeases(harness);
    describeReactors(harness);
    describeStatus(harness);
    describeCatchingUp(harness);
    describeCatchUpWindows(harness);
    describeRebuilds(harness);
    describeVersions(harness);
  });
}
