export { AuditWitness, alertMessage, WITNESS_INTERVAL_MS } from './witness.ts';
export type { AuditWitnessOptions, WitnessTimers } from './witness.ts';
