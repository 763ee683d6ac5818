import { createBrowserRouter, type RouteObject } from 'react-router';
import { loadConsoleStrings } from '../i18n/index.ts';

// Every page is its own chunk, loaded when first opened: the sign-in page needs none of the console's pages.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

export const AREAS = ['overview', 'analytics', 'customers', 'layers', 'segments', 'journeys', 'reach', 'loyalty', 'predict', 'recommend', 'data', 'settings'] as const;
export type Area = (typeof AREAS)[number];

/** The permissions that open an area: any one of them (docs/security.md). Settings is open to everyone signed in (their own account). */
export const AREA_PERMISSIONS: Record<Area, readonly string[]> = {
  overview: ['analytics:read'],
  analytics: ['analytics:read'],
  customers: ['customers:read'],
  layers: ['layers:read'],
  segments: ['segments:read'],
  journeys: ['journeys:read'],
  reach: ['channels:read', 'messages:read'],
  loyalty: ['coupons:read', 'loyalty:read'],
  predict: ['predictions:read'],
  recommend: ['recommendations:read'],
  data: ['jobs:read', 'keys:read'],
  settings: [],
};

const routes: RouteObject[] = [
  { path: '/sign-in', lazy: page(() => import('../pages/sign-in/index.tsx')) },
  {
    path: '/',
    // The frame brings the strings of the areas only the signed-in console shows.
    lazy: page(async () => (await Promise.all([import('./Shell.tsx'), loadConsoleStrings()]))[0]),
    children: [
      { index: true, lazy: page(() => import('../pages/overview/index.tsx')) },
      { path: 'analytics', lazy: page(() => import('../pages/analytics/index.tsx')) },
      { path: 'customers', lazy: page(() => import('../pages/customers/index.tsx')) },
      { path: 'customers/:id', lazy: page(() => import('../pages/customers/index.tsx')) },
      { path: 'layers', lazy: page(() => import('../pages/layers/index.tsx')) },
      { path: 'segments', lazy: page(() => import('../pages/segments/index.tsx')) },
      { path: 'segments/new', lazy: page(() => import('../pages/segments/builder-page.tsx')) },
      { path: 'segments/:name/edit', lazy: page(() => import('../pages/segments/builder-page.tsx')) },
      { path: 'journeys', lazy: page(() => import('../pages/journeys/index.tsx')) },
      { path: 'journeys/new', lazy: page(() => import('../pages/journeys/editor-page.tsx')) },
      { path: 'journeys/:id', lazy: page(() => import('../pages/journeys/journey-page.tsx')) },
      { path: 'journeys/:id/edit', lazy: page(() => import('../pages/journeys/editor-page.tsx')) },
      { path: 'reach', lazy: page(() => import('../pages/reach/index.tsx')) },
      { path: 'loyalty', lazy: page(() => import('../pages/loyalty/index.tsx')) },
      { path: 'predict', lazy: page(() => import('../pages/predict/index.tsx')) },
      { path: 'recommend', lazy: page(() => import('../pages/recommend/index.tsx')) },
      { path: 'data', lazy: page(() => import('../pages/data/index.tsx')) },
      { path: 'settings', lazy: page(() => import('../pages/settings/index.tsx')) },
      { path: 'account', lazy: page(() => import('../pages/account/index.tsx')) },
      { path: '*', lazy: page(() => import('../pages/not-found.tsx')) },
    ],
  },
];

export const router = createBrowserRouter(routes);
