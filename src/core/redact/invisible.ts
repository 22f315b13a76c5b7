/**
 * Unicode default-ignorable code points: tag characters (U+E0000–E007F, invisible text a model
 * reads as instructions), variation selectors, fillers (U+3164, U+FFA0), zero-width and bidi
 * format characters, soft hyphens. No reader sees them, so they carry nothing an operator needs,
 * and inside a word they would hide it from every detector (`pass\u200bword=…`).
 */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

export function stripInvisible(text: string): string {
  return text.replace(DEFAULT_IGNORABLE, '');
}
