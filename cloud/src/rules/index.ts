/** The rules engine: rules as data (one zod schema), evaluated on ingest with state in the database. */
export { RulesEngine, type RulesEngineDeps, type SiteDirectory } from './engine.ts';
export type { Enqueue, RulesEvaluator } from './evaluator.ts';
export * from './schema.ts';
export { loadRuleFile, mergeRuleSets, parseRuleSet, saveRuleSet, latestRuleSet, latestRuleSetVersion, listRuleSetVersions } from './repository.ts';
export { aggregateColours, evaluatePond, pointColour, tailingsStateKey } from './tailings-rule.ts';
export { evaluateCompound } from './compound-rule.ts';
