/**
 * Wiring the projection engine into an inversify container. A subpath of its own so that
 * `@rewind/projections` works without inversify, an optional peer dependency.
 *
 * @packageDocumentation
 * @module @rewind/projections/inversify
 */
export { projectionsModule, PROJECTION_TOKENS, type ProjectionsModuleOptions } from './di/projectionsModule';
