/**
 * Load a YAML (or JSON) config file and validate it against a zod schema.
 * An invalid file throws a ConfigError whose message names the file, the path inside it and
 * what is wrong, one line per problem, e.g.
 *   gateway.yaml: devices.0.pollIntervalMs: expected number, received string
 */
import { readFileSync } from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { SafeLoopError } from './errors.ts';

export class ConfigError extends SafeLoopError {
  constructor(
    readonly file: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super('CONFIG_INVALID', problems.map((p) => `${file}: ${p.path}: ${p.message}`).join('\n'), {
      details: { file, problems },
    });
    this.name = 'ConfigError';
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Validate an already-parsed object; `file` is only used in messages. */
export function validateConfig<S extends z.ZodType>(file: string, raw: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    );
  }
  return parsed.data as z.infer<S>;
}

export function parseConfigText(file: string, text: string): unknown {
  try {
    return parse(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new ConfigError(file, [{ path: pos ? `line ${pos.line} column ${pos.col}` : '(syntax)', message: err.message.split('\n')[0] ?? err.message }]);
    }
    throw err;
  }
}

export function loadConfigFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: err instanceof Error ? err.message : String(err) }]);
  }
  return validateConfig(file, parseConfigText(file, text), schema);
}
