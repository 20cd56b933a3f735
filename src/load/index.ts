/** The load side: scenarios, the open and closed engines, summary.csv. */
export { loadScenario, simpleScenario, parseScenario, scenarioSchema, DEFAULT_SCENARIOS_DIR } from './scenario.ts';
export type { Scenario, Stage, RequestSpec, VariableSpec, ScenarioInput } from './scenario.ts';
export { startLoad, LoadRun, checkBaseUrl, isLoopback } from './start-load.ts';
export type { StartLoadOptions, LoadRunEvents, LoadHandle, LoadStarter } from './start-load.ts';
export { appendStageSummary, formatSummaryCsv, stageRows, summaryRow, SUMMARY_HEADER, LOCUST_COLUMNS, OUR_COLUMNS } from './summary-csv.ts';
export type { StageExtras } from './summary-csv.ts';
export { mergeHistograms, summarize, newHistogram } from './latency-histogram.ts';
export * from './types.ts';
