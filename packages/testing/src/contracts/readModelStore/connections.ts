import { describe, expect, it } from '@jest/globals';
import { ProjectionError, sequencePosition } from '@rewind/core';
import { TransactionConflictError } from '@rewind/projections';
import type { ReadModelStoreUnderTest } from '../readModelStoreContract';

/** `tx.native`: raw SQL commits and rolls back with the transaction, or it is refused. */
export function describeRawSql(under: () => ReadModelStoreUnderTest, ns: () => string): void {
  describe('raw SQL (tx.native)', () => {
    it('commits and rolls back with the transaction, or is refused outright — never escapes it', async () => {
      const { store, rawWrite } = under();
      const n = ns();
      if (!rawWrite) {
        await store.transaction(n, async (tx) => {
          let native: unknown;
          try {
            native = tx.native;
          } catch (error) {
            expect(error).toBeInstanceOf(ProjectionError);
            expect((error as Error).message).toMatch(/tx\.native is not available/);
            return;
          }
          expect(native).toBeUndefined();
        });
        return;
      }
      await expect(
        store.transaction(n, async (tx) => {
          await rawWrite(tx.native, n, 'raw', 'rolled-back', { v: 1 });
          throw new Error('the handler failed after its SQL');
        }),
      ).rejects.toThrow('the handler failed');
      expect(await store.collection(n, 'raw').get('rolled-back')).toBeUndefined();
      await store.transaction(n, async (tx) => {
        await rawWrite(tx.native, n, 'raw', 'kept', { v: 2 });
        await tx.setCheckpoint(sequencePosition(4));
      });
      expect(await store.collection(n, 'raw').get('kept')).toEqual({ v: 2 });
    });
  });
}

/** Two connections to one database, as two processes: what one relies on, the other cannot pull away. */
export function describeConcurrentConnections(under: () => ReadModelStoreUnderTest, ns: () => string): void {
  describe('another connection', () => {
    it('never fails a transaction that only reads because another connection committed meanwhile', async () => {
      const { store, another } = under();
      if (!another) return;
      const other = await another();
      const n = ns();
      await store.transaction(n, (tx) => tx.setCheckpoint(sequencePosition(1)));
      try {
        const read = await store.transaction(n, async (tx) => {
          const before = await tx.getCheckpoint();
          await other.transaction(n, (t) => t.setCheckpoint(sequencePosition(2)));
          await tx.collection('c').find();
          return before;
        });
        expect(read).toEqual(sequencePosition(1));
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('holds another namespace’s checkpoint read in a transaction: its writer waits, or the transaction fails', async () => {
      const { store, another } = under();
      if (!another) return;
      const other = await another();
      const served = ns();
      const building = ns();
      await store.transaction(served, (tx) => tx.setCheckpoint(sequencePosition(5)));
      try {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let committedAt = 0;
        let hasRead!: () => void;
        const read = new Promise<void>((resolve) => (hasRead = resolve));
        const swapping = store
          .transaction(building, async (tx) => {
            expect(await tx.getCheckpoint(served)).toEqual(sequencePosition(5));
            hasRead();
            await gate;
            await tx.setCheckpoint(sequencePosition(5));
          })
          .then(
            () => (committedAt = Date.now()),
            (error: unknown) => error,
          );
        // the writer starts once the checkpoint was read (else it may simply commit first)
        await Promise.race([read, swapping]);
        let movedAt = 0;
        const moving = other
          .transaction(served, (tx) => tx.setCheckpoint(sequencePosition(6)))
          .then(() => (movedAt = Date.now()));
        await Promise.race([moving, new Promise((resolve) => setTimeout(resolve, 100))]);
        release();
        const outcome = await swapping;
        await moving;
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(TransactionConflictError);
        else expect(movedAt).toBeGreaterThanOrEqual(committedAt);
        expect(await store.getCheckpoint(served)).toEqual(sequencePosition(6));
      } finally {
        if (other !== store) await other.close();
      }
    });
  });
}
