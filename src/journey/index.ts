// The journey domain's public API: definitions, versions, the engine and its reports (docs/journeys.md).
export { durationMs, JourneyDefinition, type Entry, type JourneyDefinitionInput, type JourneyNode, type NodeKind, type Reentry } from './schemas.ts';
export { parseJourneyDefinition, successors } from './validate.ts';
export { checkPublishable, findJourney, getJourney, listJourneys, publishJourney, refreshWatchedEvents, saveJourneyDraft, setJourneyStatus, type Journey, type JourneyStatus } from './definitions.ts';
export { enterJourney, runJourneys, type JourneyRunReport } from './engine.ts';
export { customerJourneys, journeyReport, type ArmReport, type JourneyReport, type StepReport } from './report.ts';
export { simulateJourney, type Simulation, type SimulatedStep } from './simulate.ts';
