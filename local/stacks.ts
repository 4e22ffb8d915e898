/**
 * The project's stacks and their raw config, without loading @pulumi/* (the local cloud's own process
 * never does: only its program run does).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** The project root, where Pulumi runs the program. */
export const ROOT = path.join(__dirname, '..');

/** The raw config of a stack file, as `pulumi.runtime.allConfig()` would give it (values as strings). */
export const stackConfig = (stack: string): Record<string, string> => {
  const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(file.config ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
};

/** The stacks with a Pulumi.<stack>.yaml file. */
export const knownStacks = (): string[] =>
  fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
