// @rewind/core/inversify — wiring Rewind into an inversify container. A subpath of its own so that
// `@rewind/core` works without inversify, which is an optional peer dependency.
export { rewindModule, TOKENS } from './di/rewindModule';
