export { SirenConfigSchema, SirenOutputSchema, checkSirenConfig, type SirenConfig, type SirenOutputConfig } from './config.ts';
export { LocalSiren, type LocalSirenDeps, type SirenAlarmEvent, type SirenEventCode } from './local-siren.ts';
export { SirenState, pointMatches } from './siren-state.ts';
