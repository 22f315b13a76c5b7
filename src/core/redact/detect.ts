/**
 * The detector: every way a secret shows itself, as spans over the text. Detectors that look for
 * one long token run over the text's long tokens only, and those that need a few words run over
 * the lines that have them (tokens.ts): the same findings, a fraction of the scanning. README
 * "Redaction" says what each part covers and how to add one.
 */
import { assignments } from './assignments.js';
import { auditRecords } from './audit-records.js';
import { commandLines, TOOL_WORDS } from './command-lines.js';
import { CONFIG_WORDS, configFormats, userlistHeads } from './config-formats.js';
import { base64Runs, encodedBlocks } from './encoded.js';
import { ldifSecrets } from './hashes.js';
import { contextHex, KEY_CONTEXT_WORDS, keyContext } from './key-context.js';
import { valuesAfterWords } from './key-dumps.js';
import { keyMaterial, keyTokens } from './key-material.js';
import { bareAwsSecrets, nearSecretWords } from './near-words.js';
import { serviceSecrets } from './service-secrets.js';
import type { Span } from './spans.js';
import { isoTime, linesWith, longTokens, mapBack } from './tokens.js';
import { URL_WORDS, urlsAndHeaders } from './urls-headers.js';
import { vendorTokens } from './vendor-tokens.js';

export function detect(text: string, depth = 0): Span[] {
  // a server state's samples are thousands of these, each its own string
  if (isoTime(text)) return [];
  const tokens = longTokens(text);
  const urls = linesWith(text, URL_WORDS);
  const tools = linesWith(text, TOOL_WORDS);
  const config = linesWith(text, CONFIG_WORDS);
  return [
    ...keyMaterial(text, tokens),
    ...keyContext(text),
    // hex after a crypto word: only texts that have one of the words (not /proc/net rows)
    ...(KEY_CONTEXT_WORDS.test(text) ? contextHex(text) : []),
    // a text without long tokens (most short strings of a record) has nothing these look for
    ...(tokens.text
      ? mapBack(tokens, [
          ...keyTokens(tokens.text),
          ...vendorTokens(tokens.text),
          ...bareAwsSecrets(tokens.text),
          ...base64Runs(tokens.text, depth, detect),
        ])
      : []),
    // nor has a text without their words anything these look for (each pattern needs one)
    ...(urls.text ? mapBack(urls, urlsAndHeaders(urls.text)) : []),
    ...assignments(text),
    ...(tools.text ? mapBack(tools, commandLines(tools.text)) : []),
    ...(text.includes('type=EXECVE') || text.includes('type=PROCTITLE') ? auditRecords(text) : []),
    ...(config.text ? mapBack(config, configFormats(config.text)) : []),
    ...ldifSecrets(text),
    ...userlistHeads(text),
    ...nearSecretWords(text),
    ...serviceSecrets(text),
    // last: a value another detector named (a vendor's token) keeps that name
    ...valuesAfterWords(text),
    ...encodedBlocks(text, depth, detect),
  ];
}
