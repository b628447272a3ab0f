/**
 * Projectors, read models, checkpoints, rebuild and dead letters.
 *
 * @packageDocumentation
 * @module @rewind/projections
 */
export * from './readModel/readModelStore';
export {
  LockLostError,
  NamespaceNotFoundError,
  DeadLetterNotFoundError,
  TransactionConflictError,
  checkCollectionName,
  checkDroppable,
  checkFieldPath,
  checkKey,
  checkNamespace,
  parseFilter,
  parseFindOptions,
  type ParsedFindOptions,
  matchesConditions,
  compareFound,
  readPath,
  type ParsedCondition,
} from './readModel/readModelErrors';
export { InMemoryReadModelStore } from './readModel/inMemoryReadModelStore';
export { checkIncrements, incrementDocument, type Increments } from './readModel/incrementDocument';
export { BufferedBookkeeping } from './readModel/bufferedBookkeeping';
export { cloneJson, jsonCopy, overwriteFlat } from './readModel/jsonCopy';
export { TransactionQueue } from './readModel/transactionQueue';
export * from './decorators/projection.decorator';
export { defineProcessors, type ProcessorDefinition, type BoundHandler } from './runner/processorRegistry';
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionState,
  type RunnerStatus,
} from './runner/projectionRunner';
export {
  ProjectionEngine,
  unknownProjection,
  type ProjectionEngineOptions,
  type ProjectionStatus,
} from './runner/projectionEngine';
export type {
  ProjectionEngineEvents,
  ProjectionEngineEventName,
  ProjectionEngineListener,
} from './runner/engineEvents';
export { DEFAULT_MAX_LINKS_PER_BATCH, type ProjectionTelemetryOptions } from './runner/projectionTelemetry';
export { SYSTEM_NAMESPACE, defaultNamespace, lockName, rebuildLockName } from './runner/namespaces';
export {
  rebuildProjection,
  rebuildAll,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
} from './rebuild/rebuildProjection';
export { REBUILDS, untilLabel } from './rebuild/rebuildPlan';
export { diffNamespaces, type ReadModelDiff, type CollectionDiff } from './rebuild/diffNamespaces';
