/** The shape of a remediation catalog entry and of one rendered for a run (docs/architecture.md#remediation). */
import type { TemplatedCommand, Word } from './command-template.js';

export type Risk = 'low' | 'medium' | 'high';

export interface CatalogAction extends TemplatedCommand {
  source: 'builtin' | 'config';
  risk: Risk;
  /** finding checks (probe check ids) re-run to verify the action */
  verify: readonly string[];
  cooldownMs: number;
  maxPerDay: number;
  timeoutMs: number;
  /** wait before verifying (unset: the run's default, 5 s) */
  settleMs?: number;
  /** the parameter naming what the action acts on: the breaker and rate limits count per target */
  targetParam?: string;
  /**
   * The thing the target parameter names, whatever its spelling (`/var/run/x.pid` is `/run/x.pid`):
   * keys, records and the one-try-per-run rule count by it, so a second spelling is not a second
   * target with its own cooldown, daily limit and breaker. Unset: the value as given.
   */
  targetOf?(value: string): string;
  /**
   * The command that needs root, as argv words (the first is the program's name); absent when the
   * action needs none (pm2 runs as the SSH user). Under `sudo: actions` the template runs it as
   * `sudo -n <argv>`; `claudeops sudoers` allows exactly these argv. Built from the same words as
   * the template, so what runs and what sudoers allows cannot drift apart.
   */
  rootCommand?(params: Readonly<Record<string, string>>): readonly Word[] | undefined;
}

export interface RenderedAction {
  action: CatalogAction;
  params: Record<string, string>;
  command: string;
  /** what it acts on (`nginx`, `/var/cache/app`), `-` for whole-server actions */
  target: string;
  /** bookkeeping key in ServerState.remediation: action id + target */
  key: string;
}
