import type { Feature } from '../feature.js';
import { adminRoutes, signInRoutes } from './routes.js';

/** The back office's own pages: sign-in (the one open form), sign-out, password, the dashboard, the audit log. */
export const adminFeature: Feature = {
  name: 'admin',
  office: (s, http) => ({
    open: signInRoutes(s, { protect: http.protect, loginLimit: http.limits.login }),
    routes: adminRoutes(s, { loginLimit: http.limits.login }),
  }),
  templateNames: ['d', 'chart', 'expired', 'asOf'],
  menu: [
    { label: 'admin.nav.dashboard', href: '/admin', order: 10 },
    { label: 'admin.nav.audit', href: '/admin/audit', roles: ['admin'], order: 100 },
    { label: 'admin.nav.password', href: '/admin/password', order: 110 },
  ],
};
