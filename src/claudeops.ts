/**
 * The whole program as one module for the bundle: the Action's main and post steps and the CLI,
 * each a function that loads its own modules when called. dist/index.js, dist/post.js and
 * dist/cli.js (src/index.ts, post.ts, cli.ts compiled) import this one shared bundle instead of
 * carrying three copies of the code, and what a command does not need stays unloaded.
 */
import './shims/esm-dirname.js';
import { enableCompileCache } from './adapters/compile-cache.js';

/** The Action's main step (action.yml `runs.main`). */
export async function action(): Promise<void> {
  await (await import('./main.js')).run();
}

/** The Action's post step (action.yml `runs.post`). */
export async function post(): Promise<void> {
  await (await import('./post-main.js')).run();
}

/** The CLI (package.json `bin`); returns the exit code. */
export async function cli(argv: string[]): Promise<number> {
  // before the command's chunks load: they are what the cache keeps compiled
  enableCompileCache(process.env);
  return (await import('./cli-main.js')).runCli(argv);
}
