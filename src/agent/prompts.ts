/**
 * Prompt text lives in prompts/*.md (reviewable as prose) and reaches the code through
 * prompts.generated.ts, so the ncc bundle carries it without reading files at run time.
 */
import { PROMPTS } from './prompts.generated.js';

export function prompt(name: string): string {
  const text = PROMPTS[name];
  if (text === undefined) throw new Error(`prompt ${name} is missing: run node scripts/gen-prompts.mjs`);
  return text.trim();
}

/** Fills `{{name}}` placeholders; an unknown placeholder is a bug in the template, so it throws. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`prompt placeholder {{${key}}} has no value`);
    return value;
  });
}

/**
 * Fences untrusted server text for the model. The markers carry the run's nonce, and any copy of
 * the nonce inside the text is removed, so the text cannot close its own fence.
 */
export function untrusted(text: string, nonce: string, label: string): string {
  const safe = nonce.length > 0 ? text.split(nonce).join('[nonce removed]') : text;
  const tag = `untrusted-server-output-${nonce}`;
  return `<${tag} source="${label.replace(/[^\w ./:@-]/g, '_')}">\n${safe}\n</${tag}>`;
}
