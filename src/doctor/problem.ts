/** One thing `claudeops doctor` found wrong with the setup, and how to fix it. */
export interface Problem {
  /** the server it is about; absent for the state branch and the API key */
  server?: string;
  check: 'reach' | 'host-key' | 'auth' | 'config' | 'sudo' | 'tools' | 'clock' | 'state' | 'anthropic';
  message: string;
  fix: string;
}
