/**
 * The Messages API as the agent loop needs it. The real adapter wraps @anthropic-ai/sdk;
 * tests point the same adapter at a scripted Messages-API server (ANTHROPIC_BASE_URL).
 * Owned by the agent module: extend as the loop needs.
 */
export interface Model {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: placeholder until the agent loop defines request/response types
  create(request: any): Promise<any>;
}
