// @rewind/projections/inversify — wiring the projection engine into an inversify container. A subpath
// of its own so that `@rewind/projections` works without inversify, an optional peer dependency.
export { projectionsModule, PROJECTION_TOKENS, type ProjectionsModuleOptions } from './di/projectionsModule';
