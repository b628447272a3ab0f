import { describe, expect, it } from '@jest/globals';
import { ProjectionError, sequencePosition } from '@rewind/core';
import { NamespaceNotFoundError, SYSTEM_NAMESPACE, type ReadModelStore } from '@rewind/projections';

/** Checkpoints read outside and across transactions, dropping namespaces, dead-letter attempts. */
export function describeCheckpointsAndNamespaces(store: () => ReadModelStore, ns: () => string): void {
  describe('checkpoints and namespaces', () => {
    it('reads a committed checkpoint outside any transaction, and another namespace’s inside one', async () => {
      const a = ns();
      const b = ns();
      expect(await store().getCheckpoint(a)).toBeUndefined();
      await store().transaction(a, (tx) => tx.setCheckpoint({ commit: 2n ** 63n + 5n, prepare: 7n }));
      expect(await store().getCheckpoint(a)).toEqual({ commit: 2n ** 63n + 5n, prepare: 7n });
      await store().transaction(b, async (tx) => {
        expect(await tx.getCheckpoint(a)).toEqual({ commit: 2n ** 63n + 5n, prepare: 7n });
        expect(await tx.getCheckpoint()).toBeUndefined();
        await tx.setCheckpoint(sequencePosition(1));
        expect(await tx.getCheckpoint(b)).toEqual(sequencePosition(1));
      });
    });

    it('never drops the system namespace, and says a namespace that holds nothing is not found', async () => {
      await expect(store().dropNamespace(SYSTEM_NAMESPACE)).rejects.toThrow(ProjectionError);
      await expect(store().dropNamespace(SYSTEM_NAMESPACE)).rejects.toThrow(/never dropped/);
      const missing = ns();
      await expect(store().dropNamespace(missing)).rejects.toBeInstanceOf(NamespaceNotFoundError);
      await expect(store().dropNamespace(missing)).rejects.toThrow(`no read-model namespace "${missing}"`);
      const lettersOnly = ns();
      await store().transaction(lettersOnly, (tx) =>
        tx.parkDeadLetter({
          projection: 'p',
          eventId: 'e',
          eventType: 't',
          streamId: 's-1',
          revision: 0n,
          position: sequencePosition(1),
          error: 'e',
          attempts: 1,
        }),
      );
      await store().dropNamespace(lettersOnly);
      expect(await store().listDeadLetters(lettersOnly)).toEqual([]);
    });

    it('counts a failed retry of a dead letter and keeps its newest error, with the transaction', async () => {
      const n = ns();
      await store().transaction(n, (tx) =>
        tx.parkDeadLetter({
          projection: 'p',
          eventId: 'e',
          eventType: 't',
          streamId: 's-1',
          revision: 0n,
          position: sequencePosition(1),
          error: 'first',
          attempts: 3,
        }),
      );
      const [letter] = await store().listDeadLetters(n);
      await expect(
        store().transaction(n, async (tx) => {
          await tx.recordDeadLetterAttempt(letter!.id, 'rolled back');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await store().transaction(n, (tx) => tx.recordDeadLetterAttempt(letter!.id, 'second'));
      expect(await store().listDeadLetters(n)).toEqual([{ ...letter, attempts: 4, error: 'second' }]);
    });
  });
}
