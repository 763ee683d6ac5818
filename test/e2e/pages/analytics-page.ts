// The page script of test/e2e/browser-sdk.test.ts, bundled with esbuild: @segment/analytics-next as a brand's site
// would load it from npm, pointed at Siyu instead of Segment. `cdnSettings` stands in for the settings Segment's CDN
// would serve, so nothing is fetched from cdn.segment.com; `metrics.sampleRate: 0` turns off the SDK's own telemetry
// to api.segment.io.
import { AnalyticsBrowser } from '@segment/analytics-next';

interface PageConfig {
  writeKey: string;
  /** Siyu's address without the scheme, ending in /v1, as the SDK wants it: 127.0.0.1:3000/v1 */
  apiHost: string;
  /** Send batches to /v1/b instead of one request per call to /v1/t, /v1/i, /v1/p. */
  batching: boolean;
}

const page = globalThis as unknown as { siyuConfig: PageConfig; analytics: AnalyticsBrowser };
const { writeKey, apiHost, batching } = page.siyuConfig;

page.analytics = AnalyticsBrowser.load({
  writeKey,
  cdnSettings: {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost,
        protocol: 'http',
        ...(batching ? { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 100 } } } : {}),
      },
    },
    metrics: { sampleRate: 0 },
  },
});
