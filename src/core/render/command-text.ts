/**
 * A command as people read it in action logs and approval files. The on-server helper
 * (remediate/server-helper.ts) is sent inline on servers without it installed: `set -- ARGS`, then
 * its whole text (a few hundred lines, the same for every call). Printing that in every record and
 * approval would bury the one line a reviewer needs, so those commands are shown as the helper call
 * and the helper's version, whose text `claudeops helper` prints. Every other command is shown as
 * it runs. Pure.
 */

/** Where the inline helper's text starts in a rendered command (its first two lines). */
export const INLINE_HELPER_MARK = '\n#!/bin/sh\n# claudeops-helper ';

export function commandForPeople(command: string): string {
  const at = command.indexOf(INLINE_HELPER_MARK);
  if (at < 0 || !command.startsWith('set -- ')) return command;
  const version = /^(\S+):/.exec(command.slice(at + INLINE_HELPER_MARK.length))?.[1] ?? '?';
  return [
    `claudeops-helper ${command.slice('set -- '.length, at)}`,
    `# claudeops-helper ${version}, sent inline (\`claudeops helper\` prints its text)`,
  ].join('\n');
}
