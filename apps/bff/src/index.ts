export { start, type RunningBff, type StartOptions } from './server.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { AppContext } from './context.js';
