/**
 * The rewind command: rebuild, status, time travel and dead letters.
 *
 * @packageDocumentation
 * @module @rewind/cli
 */
export {
  defineConfig,
  type ProcessorContainer,
  type RewindConfig,
  type StatePredicate,
} from './config/defineConfig';
export { run } from './program';
export { EXIT } from './util/cliError';
