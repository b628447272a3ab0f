import { startThrowawayPostgres, type ThrowawayPostgres } from '@rewind/testing/postgres';
// #region quick-start
import { PostgresReadModelStore } from '@rewind/postgres';

export async function quickStart(connectionString: string) {
  // Connects, then creates the tables in schema "rewind" when they are missing (idempotent).
  const store = await PostgresReadModelStore.connect({ connectionString });
  // Usually a ProjectionEngine runs the transactions: new ProjectionEngine({ eventStore, events, store, processors })
  await store.transaction('order-summary@v1', async (tx) => {
    await tx.collection('orders').put('order-1', { status: 'placed', total: 2500, city: 'Seoul' });
    await tx.collection('orders').patch('order-1', { status: 'paid' }); // merged in SQL at commit
    await tx.setCheckpoint({ commit: 1n, prepare: 1n }); // commits together with the documents
  });
  const orders = store.collection('order-summary@v1', 'orders');
  const paid = await orders.find({ status: 'paid', total: { $gte: 2000 } }, { orderBy: 'total' });
  await store.close();
  return paid;
}
// #endregion

describe('the @rewind/postgres quick start', () => {
  let pg: ThrowawayPostgres;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('writes documents and a checkpoint in one transaction and finds them', async () => {
    expect(await quickStart(pg.url)).toEqual([
      { key: 'order-1', doc: { status: 'paid', total: 2500, city: 'Seoul' } },
    ]);
  });
});
