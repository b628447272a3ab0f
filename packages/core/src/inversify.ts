/**
 * Wiring Rewind into an inversify container. A subpath of its own so that `@rewind/core` works without
 * inversify, an optional peer dependency.
 *
 * @packageDocumentation
 * @module @rewind/core/inversify
 */
export { rewindModule, TOKENS } from './di/rewindModule';
