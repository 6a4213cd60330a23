// Finds and loads scenario files: a path on the command line, or every file in scenarios/.
// A load failure is the user's to mend, so it becomes a UsageError with one clear sentence.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Scenario, ScenarioError, validateScenario } from '../scenario.ts';
import { UsageError } from './usage.ts';

export const SCENARIO_DIR = resolve(import.meta.dirname, '../../scenarios');

export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(
      `no scenario file at '${file}'; list the scenarios with: npm run sim -- --list`,
    );
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`the scenario '${file}' could not be loaded: ${why}`);
  }
  try {
    return validateScenario(module.default);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(`in '${file}': ${error.message}`);
    throw error;
  }
}

export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => relative(process.cwd(), join(SCENARIO_DIR, f)));
}
