/**
 * One lab for every lab test file (they run one at a time, see vitest.config.ts): started before the
 * first, stopped after the last unless LAB_KEEP=1. Without root the lab tests skip with a reason.
 */
import { labIsUp, labSkipReason, startLab, stopLab } from './lab.js';

let startedHere = false;

export async function setup(): Promise<void> {
  if (labSkipReason()) return;
  startedHere = !labIsUp();
  await startLab({ light: 3, nspawn: true });
}

export async function teardown(): Promise<void> {
  if (startedHere && process.env.LAB_KEEP !== '1') await stopLab();
}
