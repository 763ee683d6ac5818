export { generateDemo, DEMO_TRUTH, type GenerateOptions, type GeneratedFiles } from './generate.ts';
export { demoJourneys, JOURNEY_TRUTH, runJourneyDemo, type DemoJourney, type JourneyDemoOptions, type JourneyDemoResult } from './journeys.ts';
export { DEMO_CONSENTS, sampleErasure, seedDemoConsents } from './privacy.ts';
