export {
  defineConfig,
  type ProcessorContainer,
  type RewindConfig,
  type StatePredicate,
} from './config/defineConfig';
export { run } from './program';
export { EXIT } from './util/cliError';
