/**
 * Whether the state branch's repository can be read and written, asked without writing to it
 * (`claudeops doctor`). adapters/state-access.ts: the remote with the token, or the local directory.
 */
export type StateAccessResult =
  | { ok: true }
  | { ok: false; reason: 'unreachable' | 'read-only' | 'not-a-repository'; message: string };

export interface StateAccess {
  /** where the state branch lives, for messages (a URL carries no token) */
  readonly location: string;
  check(): Promise<StateAccessResult>;
}
