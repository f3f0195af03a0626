/** The dashboard (Telegram Mini App and one-time web links): its sign-in, routes and bundle. */
export { cookieValue, createDashboardAuth, createLoginLinks, isRefusal, SESSION_COOKIE, type AuthResult, type DashboardAuth, type DashboardWorkspace, type Principal, type Refusal } from './dashboard-auth.js';
export { DASHBOARD_CSP, registerDashboardRoutes } from './dashboard-routes.js';
export { signInitData, validateInitData, INIT_DATA_MAX_AGE_S } from './init-data.js';
export { LINK_TTL_MS, SESSION_TTL_MS } from './tokens.js';
export { buildWebBundle } from './web-bundle.js';
