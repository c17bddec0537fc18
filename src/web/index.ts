/**
 * The web edge: serving the dashboard (built from web/ by Vite) from the API server. The app
 * itself lives in web/src and talks to the server only through /api/v1.
 */
export { DEFAULT_DIST_DIR, registerDashboard } from './dashboard.ts';
export type { DashboardOptions } from './dashboard.ts';
