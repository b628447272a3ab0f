import type { RebuildProgress } from '@rewind/projections';
import { barFrame, knownTotal } from '../src/output/progress';

const progress = (over: Partial<RebuildProgress>): RebuildProgress => ({
  projection: 'order-summary',
  namespace: 'order-summary@v2',
  processed: 1000,
  position: undefined,
  head: undefined,
  eventsPerSecond: 500,
  etaSeconds: undefined,
  phase: 'building',
  ...over,
});

describe('rebuild progress frames', () => {
  it('shows no percentage, total or ETA before the store has counted what remains', () => {
    const frame = barFrame(progress({ etaSeconds: undefined }));
    expect(knownTotal(progress({ etaSeconds: undefined }))).toBeUndefined();
    expect(frame).toBe('order-summary [counting…] 1000 events | 500 ev/s | position - | building');
    expect(frame).not.toMatch(/%|\/1000|ETA/);
  });

  it('shows the share done of the counted total once it is known', () => {
    // 1000 done, 3000 remaining at 500 ev/s: 6 s left, of 4000 in all.
    const frame = barFrame(progress({ etaSeconds: 6 }), 10);
    expect(frame).toBe(
      'order-summary [███░░░░░░░] 25% | 1000/4000 events | 500 ev/s | position - | ETA 6s | building',
    );
  });

  it('shows 100% only when done', () => {
    expect(barFrame(progress({ phase: 'done', processed: 7, eventsPerSecond: 70 }), 4)).toBe(
      'order-summary [████] 100% | 7/7 events | 70 ev/s | position - | ETA 0s | done',
    );
  });
});
