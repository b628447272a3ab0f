import {
  diffNamespaces,
  rebuildProjection,
  type ProjectionEngine,
  type ReadModelDiff,
} from '@rewind/projections';
import { fail } from '../support/assertions';

/**
 * Checks that rebuilding a projection from scratch gives exactly the documents the live runner built:
 * builds the read model as of the live model's checkpoint into a scratch namespace, diffs the two, drops
 * the scratch namespace, and fails the test with the differences. Run it in your own suites after
 * driving your application, to prove your projector is a pure function of the log.
 *
 * @example
 * await engine.waitForHead();
 * await expectRebuildEquivalent(engine, 'order-summary');
 */
export async function expectRebuildEquivalent(
  engine: ProjectionEngine,
  projection: string,
): Promise<ReadModelDiff> {
  const { store } = engine.context;
  const live = await store.servedNamespace(projection);
  if (!live)
    throw new Error(
      `Projection "${projection}" has no served read model yet: start the engine and wait for it first.`,
    );
  const checkpoint = await store.getCheckpoint(live);
  const head = await engine.context.eventStore.headPosition();
  const rebuilt = await rebuildProjection(engine, projection, {
    until: checkpoint ?? head ?? { commit: 0n, prepare: 0n },
    temporary: true,
  });
  try {
    const diff = await diffNamespaces(store, live, rebuilt.namespace);
    if (diff.collections.length > 0) {
      fail(
        `Rebuilding "${projection}" from the log gives other documents than the live read model: ` +
          'make the projector a pure function of the events (no clock, random source or state outside its ' +
          'read model). The differences:',
        diff.collections,
        [],
      );
    }
    return diff;
  } finally {
    await store.dropNamespace(rebuilt.namespace);
  }
}
