/** Reads the YAML config file (docs/architecture.md#layers: the file read is I/O; parsing is not). */
import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfig } from '../config/parse-config.js';
import type { Config } from '../config/schema.js';

/** The config at `file`, validated; a missing or unreadable file is a ConfigError like any problem in it. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // the first thing a new user meets: say where a config comes from
    const why =
      code === 'ENOENT'
        ? 'no such file: `claudeops init --host USER@HOST` writes one from what runs on your servers; examples/localhost.yml checks this machine (the Action: the `config` input; the CLI: --config FILE)'
        : String(error);
    throw new ConfigError(file, [why]);
  }
  return parseConfig(text, file, env);
}
