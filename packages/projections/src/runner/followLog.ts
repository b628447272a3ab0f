import {
  EventDecodingError,
  type EventFilter,
  type EventStore,
  type Position,
  type Subscription,
} from '@rewind/core';
import type { BatchCommitter } from './batchCommitter';
import { Batcher, type BatcherOptions } from './batcher';

/** Options for {@link followLog}. */
export interface FollowLogOptions {
  readonly eventStore: EventStore;
  readonly filter: EventFilter;
  /** Where to subscribe from (exclusive). */
  readonly from: Position | undefined;
  readonly committer: BatchCommitter;
  /** The flush policy (see {@link Batcher}). */
  readonly policy: Omit<BatcherOptions, 'commit' | 'onFailure'>;
  /** Checked after each message: true ends the following (stop, pause, a lost lease). */
  interrupted(): boolean;
  /** The subscription caught up (its pending events are committed). */
  onCaughtUp(): Promise<void>;
  /** What is being followed now, so the runner can close it or flush it early; undefined when done. */
  track(subscription: Subscription | undefined, batcher: Batcher | undefined): void;
}

/**
 * The live half of a runner: follows a filtered subscription from a checkpoint, feeding a
 * {@link Batcher} whose commits go through the runner's {@link BatchCommitter}. An event the store
 * cannot decode is handled like a failing one (parked, or the processor stops), after the events
 * before it are committed, and the subscription starts again after it.
 */
export async function followLog(options: FollowLogOptions): Promise<void> {
  const { eventStore, filter, committer } = options;
  let after = options.from;
  while (!options.interrupted()) {
    const subscription = eventStore.subscribeToAll({ ...(after ? { after } : {}), filter });
    const batcher = new Batcher({
      ...options.policy,
      commit: committer.commit,
      onFailure: () => void subscription.close(),
    });
    options.track(subscription, batcher);
    try {
      for await (const message of subscription) {
        if (message.type === 'event') await batcher.add(message.event);
        else if (message.type === 'checkpoint') await batcher.advance(message.position);
        else {
          await batcher.caughtUp();
          await options.onCaughtUp();
        }
        if (options.interrupted()) break;
      }
      await batcher.close();
      return;
    } catch (error) {
      if (!(error instanceof EventDecodingError) || error.position === undefined) {
        batcher.discard();
        throw error;
      }
      await batcher.close();
      await committer.undecodable(error as EventDecodingError & { position: Position });
      after = error.position;
    } finally {
      options.track(undefined, undefined);
      await subscription.close();
    }
  }
}
