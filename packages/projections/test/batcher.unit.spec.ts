import { sequencePosition, type Position, type RecordedEvent } from '@rewind/core';
import { Batcher, type BatcherOptions } from '../src/runner/batcher';

const event = (n: number): RecordedEvent => ({
  id: `e${n}`,
  streamId: 's-1',
  revision: BigInt(n - 1),
  position: sequencePosition(n),
  type: 't',
  data: {},
  metadata: { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z' },
  recordedAt: new Date(0),
});

function batcher(options: Partial<BatcherOptions> = {}) {
  const commits: Array<{ events: number[]; checkpoint: number }> = [];
  const failures: unknown[] = [];
  let urgent = false;
  const b = new Batcher({
    batchSize: 3,
    flushDelayMs: 10,
    checkpointIntervalMs: 1000,
    urgent: () => urgent,
    commit: async (events: readonly RecordedEvent[], checkpoint: Position) => {
      commits.push({
        events: events.map((e) => Number(e.position.commit)),
        checkpoint: Number(checkpoint.commit),
      });
    },
    onFailure: (error) => failures.push(error),
    ...options,
  });
  return { b, commits, failures, setUrgent: (value: boolean) => (urgent = value) };
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe(Batcher.name, () => {
  it('commits a full batch at once', async () => {
    const { b, commits } = batcher();
    for (let n = 1; n <= 4; n++) await b.add(event(n));
    expect(commits).toEqual([{ events: [1, 2, 3], checkpoint: 3 }]);
  });

  it('holds a live event at most flushDelayMs for others to share its commit', async () => {
    const { b, commits } = batcher();
    await b.caughtUp();
    await b.add(event(1));
    await jest.advanceTimersByTimeAsync(6);
    await b.add(event(2)); // does not push the deadline back once live
    await jest.advanceTimersByTimeAsync(4);
    expect(commits).toEqual([{ events: [1, 2], checkpoint: 2 }]);
  });

  it('while catching up, commits when the stream pauses, even with no caught-up message', async () => {
    const { b, commits } = batcher();
    await b.add(event(1));
    await jest.advanceTimersByTimeAsync(8);
    await b.add(event(2)); // the stream goes on: the deadline moves
    await jest.advanceTimersByTimeAsync(8);
    expect(commits).toEqual([]);
    await jest.advanceTimersByTimeAsync(2);
    expect(commits).toEqual([{ events: [1, 2], checkpoint: 2 }]);
  });

  it('moves a checkpoint past unhandled events at most once per interval, unless someone waits for the head', async () => {
    const { b, commits, setUrgent } = batcher();
    await b.caughtUp();
    await b.advance(sequencePosition(5));
    await jest.advanceTimersByTimeAsync(0);
    expect(commits).toEqual([{ events: [], checkpoint: 5 }]); // the first one is due at once
    await b.advance(sequencePosition(9));
    await jest.advanceTimersByTimeAsync(500);
    expect(commits).toHaveLength(1);
    setUrgent(true);
    await b.advance(sequencePosition(12));
    await jest.advanceTimersByTimeAsync(0);
    expect(commits.at(-1)).toEqual({ events: [], checkpoint: 12 });
  });

  it('counts the interval from the end of a slow commit: checkpoints that arrive during it wait', async () => {
    const started: number[] = [];
    let finish: (() => void) | undefined;
    const { b } = batcher({
      commit: (_events, checkpoint) => {
        started.push(Number(checkpoint.commit));
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    await b.caughtUp();
    await b.advance(sequencePosition(5));
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([5]); // due at once, and slow
    await b.advance(sequencePosition(6));
    await b.advance(sequencePosition(7));
    await jest.advanceTimersByTimeAsync(200);
    expect(started).toEqual([5]); // nothing queued behind the commit in flight
    finish!();
    await jest.advanceTimersByTimeAsync(999);
    expect(started).toEqual([5]); // an interval from its end…
    await jest.advanceTimersByTimeAsync(1);
    expect(started).toEqual([5, 7]); // …then the newest checkpoint, once
    finish!();
  });

  it('commits what is pending when asked to flush soon', async () => {
    const { b, commits } = batcher();
    await b.caughtUp();
    await b.advance(sequencePosition(5));
    await jest.advanceTimersByTimeAsync(0);
    await b.advance(sequencePosition(8));
    b.flushSoon();
    await jest.advanceTimersByTimeAsync(0);
    expect(commits.at(-1)).toEqual({ events: [], checkpoint: 8 });
  });

  it('reports a failed timer commit, and rethrows it from the next call and from close', async () => {
    const failure = new Error('store down');
    const { b, failures } = batcher({ commit: () => Promise.reject(failure) });
    await b.caughtUp();
    await b.add(event(1));
    await jest.advanceTimersByTimeAsync(10);
    expect(failures).toEqual([failure]);
    await expect(b.add(event(2))).rejects.toBe(failure);
    await expect(b.close()).rejects.toBe(failure);
  });

  it('commits one batch at a time, in order', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { b } = batcher({
      commit: async (events) => {
        order.push(`start ${events.length}`);
        if (order.length === 1) await gate;
        order.push(`end ${events.length}`);
      },
    });
    const first = Promise.all([b.add(event(1)), b.add(event(2)), b.add(event(3))]);
    await jest.advanceTimersByTimeAsync(0);
    const second = Promise.all([b.add(event(4)), b.add(event(5)), b.add(event(6))]);
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start 3']);
    release();
    await first;
    await second;
    expect(order).toEqual(['start 3', 'end 3', 'start 3', 'end 3']);
  });
});
