/**
 * Which EventStoreDB server release the test server imitates. Each mode stands for a range of real
 * server tags whose subscription behaviour is the same as far as the client can see. Source references
 * are to the EventStore/EventStore repository.
 *
 * - `'22.10'`: 22.10.4 and 22.10.5 (reports `22.10.5`). No caught-up message at all (the `CaughtUp`
 *   response was added in 23.10, commit 80d654647 "Add CaughtUp control message for subscriptions").
 *   Filtered `$all`: catch-up checkpoints at the last event of a page (or the page's start `(X, 0)` when
 *   the page sent none), no checkpoint when catch-up ends, live checkpoints every N events with the
 *   catch-up counter carried over (22.10.0–22.10.3 restarted that counter: not modelled). A consumer too
 *   slow for its live buffer gets ABORTED "Consumer too slow" (a `TimeoutError` in the client).
 *   (Grpc/Enumerators.AllSubscriptionFiltered.cs at oss-v22.10.5.)
 * - `'23.10'`: 23.10.x (reports `23.10.3`). As 22.10, plus one caught-up message when the subscription
 *   goes live. (Grpc/Enumerators.AllSubscriptionFiltered.cs at oss-v23.10.0, `PumpLiveMessages`.)
 * - `'24.10.0'`: 24.2.0 through 24.10.4 (reports `24.10.4`). The rewritten enumerator
 *   (Enumerators/Enumerator.AllSubscriptionFiltered.cs at v24.10.4): one checkpoint when catch-up ends, at
 *   the last event sent — and, when nothing matched yet on a subscription from the start, at "before the
 *   log" `(-1, -1)`, sent as `Position.End` = 2^64−1 for both (KDB-710, fixed by #4892/#4893). A
 *   subscription that falls behind goes back to catch-up and sends caught-up again; the fell-behind
 *   message is not sent to clients (Grpc/Streams.Read.cs:281 "currently not sent to clients").
 * - `'25.0.0'`: 25.0.0. KDB-710 fixed, but the fix (#4892) ends catch-up with a checkpoint at the last
 *   page's start: after an empty last page that is `(end of log, 0)`, the position the next event gets
 *   (KDB-744, fixed by #4975 in 24.10.5 and 25.0.1 — known from the pull request's text, not the source).
 * - `'24.10.5'`: 24.10.5 and later 24.10.x, 25.0.1 and later (reports `24.10.5`). KDB-710 and KDB-744
 *   fixed. Per #5013/#5034 (pull request text; the change is not in the mirrored source) caught-up and
 *   fell-behind carry a checkpoint and fell-behind is sent: the 6.2.1 client's protobuf has no field
 *   for that position, so it is not on the wire here (see the README).
 */
export type EventStoreDBServerMode = '22.10' | '23.10' | '24.10.0' | '25.0.0' | '24.10.5';

/** Every {@link EventStoreDBServerMode}, oldest behaviour first. */
export const EVENTSTOREDB_SERVER_MODES: readonly EventStoreDBServerMode[] = [
  '22.10',
  '23.10',
  '24.10.0',
  '25.0.0',
  '24.10.5',
];

/** What a mode changes, as the server and subscription code use it. */
export interface ServerModeBehaviour {
  /** The version `ServerFeatures` reports. */
  readonly version: string;
  /** `classic`: the 22.10/23.10 enumerators; `rewritten`: the 24.2+ enumerators. */
  readonly engine: 'classic' | 'rewritten';
  /** Whether a caught-up message is sent when the subscription goes live. */
  readonly caughtUp: boolean;
  /** The checkpoint sent when catch-up ends (rewritten engine only). */
  readonly endOfCatchUpCheckpoint: 'last-sent' | 'page-start' | 'page-start-unless-empty';
  /** Whether a fell-behind message reaches the client. */
  readonly fellBehindSent: boolean;
}

/** The behaviour of each mode. */
export function serverModeBehaviour(mode: EventStoreDBServerMode): ServerModeBehaviour {
  switch (mode) {
    case '22.10':
      return {
        version: '22.10.5',
        engine: 'classic',
        caughtUp: false,
        endOfCatchUpCheckpoint: 'last-sent',
        fellBehindSent: false,
      };
    case '23.10':
      return {
        version: '23.10.3',
        engine: 'classic',
        caughtUp: true,
        endOfCatchUpCheckpoint: 'last-sent',
        fellBehindSent: false,
      };
    case '24.10.0':
      return {
        version: '24.10.4',
        engine: 'rewritten',
        caughtUp: true,
        endOfCatchUpCheckpoint: 'last-sent',
        fellBehindSent: false,
      };
    case '25.0.0':
      return {
        version: '25.0.0',
        engine: 'rewritten',
        caughtUp: true,
        endOfCatchUpCheckpoint: 'page-start',
        fellBehindSent: false,
      };
    case '24.10.5':
      return {
        version: '24.10.5',
        engine: 'rewritten',
        caughtUp: true,
        endOfCatchUpCheckpoint: 'page-start-unless-empty',
        fellBehindSent: true,
      };
  }
}
