import { GroupCommit, type BatchOutcome } from '../src/eventStore/groupCommit';

function recorder(maxBatch?: number) {
  const batches: number[][] = [];
  const commit = new GroupCommit<number, number>(
    (items) => {
      batches.push([...items]);
      return items.map((n): BatchOutcome<number> =>
        n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 },
      );
    },
    (error) => new Error(`batch failed: ${(error as Error).message}`),
    maxBatch,
  );
  return { commit, batches };
}

describe(GroupCommit.name, () => {
  it('writes everything submitted in one turn of the event loop as one batch', async () => {
    const { commit, batches } = recorder();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => commit.submit(n)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    expect(commit.stats).toEqual({ batches: 1, items: 5 });
  });

  it('fails only the item whose outcome is an error', async () => {
    const { commit } = recorder();
    const results = await Promise.allSettled([1, -2, 3].map((n) => commit.submit(n)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('bad -2') },
      { status: 'fulfilled', value: 30 },
    ]);
  });

  it('fails every item of a batch whose write throws, with the mapped error, and goes on', async () => {
    let fail = true;
    const commit = new GroupCommit<number, number>(
      (items) => {
        if (fail) throw new Error('disk full');
        return items.map((n) => ({ ok: true, value: n }));
      },
      (error, items) => new Error(`mapped (${items.length}): ${(error as Error).message}`),
    );
    const first = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    expect(first.map((r) => (r as PromiseRejectedResult).reason.message)).toEqual([
      'mapped (2): disk full',
      'mapped (2): disk full',
    ]);
    fail = false;
    await expect(commit.submit(3)).resolves.toBe(3);
    expect(commit.stats).toEqual({ batches: 1, items: 1 });
  });

  it('splits a large queue into batches of at most maxBatch, in order', async () => {
    const { commit, batches } = recorder(4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => commit.submit(i)));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('gathers callers that resubmit after their previous write into the next batch', async () => {
    const { commit, batches } = recorder();
    await Promise.all(
      [0, 1, 2].map(async (w) => {
        for (let i = 0; i < 3; i++) await commit.submit(w * 100 + i);
      }),
    );
    expect(batches).toEqual([
      [0, 100, 200],
      [1, 101, 201],
      [2, 102, 202],
    ]);
  });

  it('writes the queue at once on flush()', () => {
    const { commit, batches } = recorder();
    void commit.submit(7);
    expect(commit.pending).toBe(1);
    commit.flush();
    expect(commit.pending).toBe(0);
    expect(batches).toEqual([[7]]);
  });
});
