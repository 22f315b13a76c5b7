/** The README.md a new state branch starts with: what the branch is, for whoever opens it. */
export const STATE_BRANCH_README = `# ClaudeOps state branch

This orphan branch is the memory of ClaudeOps, the operations action of this repository: every
run commits what it saw, decided and did here. It is never merged into the default branch; the
next run reads it (the newest reports, open issues, recent actions, state) to know what changed.

| path | what |
|---|---|
| \`health/<YYYY-MM-DD>/<HHMMSS>-<run>.md\` | one health report per run |
| \`health/<YYYY-MM>/summary.md\` | reports older than the retention window, one row each |
| \`issues/<fingerprint>.md\` | one file per problem: status, first/last seen, history |
| \`actions/<YYYY-MM-DD>/…\` | every executed, proposed or denied remediation |
| \`boot/…\` | boot recovery logs |
| \`approvals/<id>.md\` | approved plans (merging their PR is the approval) and outcomes |
| \`state/<server>.json\` | machine state per server: finding lifecycle, samples, cursors, breakers |
| \`history/<server>/<YYYY-MM>.tsv\` | one line per run: status, disk, memory, load, endpoint status and latency |

Edit by hand with care: a state file that no longer parses is reported and that server starts fresh.
`;
