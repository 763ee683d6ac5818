export { generateDemo, DEMO_TRUTH, type GenerateOptions, type GeneratedFiles } from './generate.ts';
