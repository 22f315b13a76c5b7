/**
 * The detector: every way a secret shows itself, as spans over the text. See README "Redaction"
 * for what each part covers and how to add one.
 */
import { assignments } from './assignments.js';
import { commandLines } from './command-lines.js';
import { configFormats } from './config-formats.js';
import { encoded } from './encoded.js';
import { keyMaterial } from './key-material.js';
import { nearSecretWords } from './near-words.js';
import type { Span } from './spans.js';
import { urlsAndHeaders } from './urls-headers.js';
import { vendorTokens } from './vendor-tokens.js';

export function detect(text: string, depth = 0): Span[] {
  return [
    ...keyMaterial(text),
    ...vendorTokens(text),
    ...urlsAndHeaders(text),
    ...assignments(text),
    ...commandLines(text),
    ...configFormats(text),
    ...nearSecretWords(text),
    ...encoded(text, depth, detect),
  ];
}
