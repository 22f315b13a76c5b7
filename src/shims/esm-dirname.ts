/**
 * ssh2 (under node-ssh) is CommonJS and reads `__dirname` at load time; inside our ESM bundle
 * that name does not exist, and the bundle crashes before doing anything (docs/architecture.md#toolchain). This module
 * is imported first by every entry point and defines the names from import.meta.url.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const globals = globalThis as { __filename?: string; __dirname?: string };
globals.__filename ??= fileURLToPath(import.meta.url);
globals.__dirname ??= dirname(globals.__filename);
