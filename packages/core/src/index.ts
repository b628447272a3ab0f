import 'reflect-metadata';

export * from './errors/rewindError';
export * from './errors/errors';
export * from './eventStore/position';
export * from './eventStore/eventStore';
export { validateAppend, checkExpectedRevision, matchesFilter } from './eventStore/storeSupport';
export {
  catchUpSubscription,
  AppendNotifier,
  type CatchUpSource,
  type LogPage,
} from './eventStore/catchUpSubscription';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './eventStore/inMemoryEventStore';
export * from './events/domainEvent.decorator';
export { encodeJson, decodeJson, type EncodedValue, type RevivedKind } from './events/jsonCodec';
export type { Type } from './metadata/metadataKeys';
