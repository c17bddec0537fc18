/**
 * The HTTP edge: `createApp(deps)` (routes, auth, rate limits, the one error handler), the
 * collector's write queue and Segment mapping, API keys, and `startServer` for `serve`.
 */
export { createApp } from './app.ts';
export type { AppDeps } from './app.ts';
export { createKey, listKeys, revokeKey, verifyKey, ROLES, isRole } from './keys.ts';
export type { ApiKeyInfo, CreatedKey, Principal, Role } from './keys.ts';
export { ANALYSES } from './routes/analyses.ts';
export type { Analysis } from './routes/analyses.ts';
export { startServer } from './listen.ts';
export type { RunningServer, StartOptions } from './listen.ts';
