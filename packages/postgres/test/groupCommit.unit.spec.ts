import { AsyncGroupCommit, type BatchOutcome } from '../src/eventStore/groupCommit';

interface Item {
  readonly key: string;
  readonly n: number;
}

describe('AsyncGroupCommit', () => {
  it('batches what arrives together, keeps one key out of two batches in flight, and keeps its order', async () => {
    const batches: Item[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: Array<() => void> = [];
    const commits = new AsyncGroupCommit<Item, number>(
      async (items) => {
        batches.push([...items]);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight--;
        return items.map((item): BatchOutcome<number> => ({ ok: true, value: item.n }));
      },
      (error) => () => error,
      (item) => item.key,
      100,
      2,
    );
    const done = [
      commits.submit({ key: 'a', n: 1 }),
      commits.submit({ key: 'b', n: 2 }),
      commits.submit({ key: 'a', n: 3 }),
    ];
    // The first batch holds a1 and b2; a3 waits (its key is in flight) though a slot is free.
    while (releases.length < 1) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [
        { key: 'a', n: 1 },
        { key: 'b', n: 2 },
      ],
    ]);
    const more = commits.submit({ key: 'c', n: 4 });
    while (releases.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(batches[1]).toEqual([{ key: 'c', n: 4 }]);
    releases.shift()!();
    while (releases.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(batches[2]).toEqual([{ key: 'a', n: 3 }]);
    for (const release of releases.splice(0)) release();
    expect(await Promise.all([...done, more])).toEqual([1, 2, 3, 4]);
    expect(maxInFlight).toBe(2);
    await commits.idle();
    expect(commits.stats).toEqual({ batches: 3, items: 4 });
  });

  it('fails one item alone on its own outcome, and the whole batch when the write throws', async () => {
    let fail = false;
    const commits = new AsyncGroupCommit<Item, number>(
      async (items) => {
        if (fail) throw new Error('connection lost');
        return items.map((item): BatchOutcome<number> =>
          item.n < 0 ? { ok: false, error: new Error(`bad ${item.key}`) } : { ok: true, value: item.n },
        );
      },
      (error, items) => (item) => new Error(`${(error as Error).message} (${items.length}, ${item.key})`),
      (item) => item.key,
      100,
      1,
    );
    const results = await Promise.allSettled([
      commits.submit({ key: 'a', n: 1 }),
      commits.submit({ key: 'b', n: -1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    fail = true;
    await expect(commits.submit({ key: 'c', n: 1 })).rejects.toThrow('connection lost (1, c)');
  });
});
