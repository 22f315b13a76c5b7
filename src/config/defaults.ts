/**
 * Servers collected at once when the config sets no `defaults.parallelism` (docs/configuration.md).
 * Measured on 2 cores against 50 lab servers (README "Performance"): with every handshake in
 * flight the run costs the runner less CPU than in waves of 10, and against real servers a wave
 * would also wait on the slowest round trip. The SSH transport still bounds the handshakes in
 * flight (ssh.ts: HANDSHAKES overall, HANDSHAKES_PER_ADDRESS to one jump host).
 */
export const DEFAULT_PARALLELISM = 50;
