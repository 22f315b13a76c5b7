/**
 * Untrusted text — anything a server printed or a model wrote — rendered so it stays text in each
 * place it is shown. One module for every renderer, so "escaped" means the same thing in the health
 * report, an issue, an approval PR, the job summary and every chat channel.
 *
 * Every target first strips what no reader should receive: ANSI escape sequences, C0/C1 control
 * characters (tab and newline kept), Unicode default-ignorable code points (bidi overrides and
 * isolates, zero-width characters, tag characters, variation selectors, fillers), and lone
 * UTF-16 surrogates (invalid UTF-8 from a server already arrives as U+FFFD). Then each target
 * escapes its own metacharacters and neutralises what its renderer would make live: links and
 * autolinks, images, raw HTML, @mentions, issue references, broadcast pings.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte escapes, and 8-bit CSI
const ANSI =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// C0 except tab and newline, DEL, C1
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// bidi embeddings, overrides, isolates and marks, zero-width characters, tag characters, variation
// selectors, fillers: every Unicode default-ignorable code point (see core/redact/invisible.ts)
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Placeholder for "a zero-width break goes here"; it cannot occur in cleaned text (a C0 control). */
const BREAK = '\u0001';
/** Zero-width space in plain texts: the reader sees the text, the client links and pings nothing. */
const ZWSP = '\u200b';

/** Text with nothing invisible or terminal-active left; newlines and tabs kept. */
export function plainText(text: unknown): string {
  return String(text ?? '')
    .replace(ANSI, '')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(DEFAULT_IGNORABLE, '')
    .replace(LONE_SURROGATE, '\ufffd');
}

/** One line: whitespace runs collapsed, cut at `max` characters with an ellipsis. */
export function oneLine(text: unknown, max = 1_000): string {
  const line = plainText(text).replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Marks where a renderer would make something live: @mentions (and e-mail autolinks), issue and
 * pull references (#123, GH-123), URL schemes and www. autolinks, Slack/Discord broadcast words.
 */
function markBreaks(text: string): string {
  return text
    .replace(/@(?=[\w-])/g, `@${BREAK}`)
    .replace(/<(?=[!@#&])/g, `<${BREAK}`)
    .replace(/#(?=\d)/g, `#${BREAK}`)
    .replace(/\b(GH)-(?=\d)/gi, `$1-${BREAK}`)
    .replace(/([a-z][a-z0-9+.-]*):(?=\/\/)/gi, `$1${BREAK}:`)
    .replace(/\b(www)\./gi, `$1${BREAK}.`)
    .replace(/\b(mailto|xmpp|tel|javascript|data):/gi, `$1${BREAK}:`);
}

/** Markdown metacharacters and HTML: every one escaped, so nothing forms a link, image, tag or emphasis. */
function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_{}[\]!|~$]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A line start that would become a heading, quote, list item, rule or setext underline. */
function escapeLineStart(line: string): string {
  return line.replace(/^(\s*)([#>+\-=]|\d+(?=[.)]))/, '$1\\$2');
}

/**
 * Inline markdown (a sentence, a list item, a heading's tail): one line, every markdown and HTML
 * metacharacter escaped, mentions and references broken by a zero-width space, no autolinks.
 */
export function mdInline(text: unknown, max = 1_000): string {
  return escapeLineStart(escapeMarkdown(markBreaks(oneLine(text, max)))).replaceAll(BREAK, '&#8203;');
}

/** A GFM table cell: inline markdown (pipes are escaped there too); no block syntax can start in a cell. */
export function mdCell(text: unknown, max = 500): string {
  return escapeMarkdown(markBreaks(oneLine(text, max))).replaceAll(BREAK, '&#8203;');
}

/**
 * An inline code span: shown verbatim, nothing in it is live; its backtick fence is longer than any
 * backtick run inside, so the text cannot close it.
 */
export function mdCode(text: unknown, max = 500): string {
  const body = oneLine(text, max).replace(/<!--/g, '<! --');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || body === '' ? ' ' : '';
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/** Inverse of {@link mdInline} for text this module escaped (an issue file read back). */
export function mdInlineDecode(text: string): string {
  return text
    .replaceAll('&#8203;', '')
    .replace(/^(\s*)\\(?=[#>+\-=\d])/, '$1')
    .replace(/\\([\\`*_{}[\]!|~$])/g, '$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/**
 * A fenced code block: the fence is longer than any backtick run inside, so the text cannot close
 * it; HTML comments are broken so a fake `<!-- claudeops:… -->` marker cannot pass for ours.
 */
export function mdFence(text: unknown, info = 'text'): string {
  const body = plainText(text).replace(/<!--/g, '<! --').replace(/\s+$/, '');
  const longest = Math.max(2, ...[...body.matchAll(/`+|~+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${info.replace(/[^\w-]/g, '')}\n${body}\n${ticks}`;
}

/**
 * Free text a model wrote, shown as what it is: a labelled quote, every line escaped, so it can
 * never look like a heading, a status line, an approval or a link the code wrote.
 */
export function mdQuote(label: string, text: unknown, maxLines = 40): string {
  const lines = plainText(text)
    .split('\n')
    .map((l) => l.trim())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''))
    .slice(0, maxLines)
    .map((l) => (l === '' ? '>' : `> ${mdInline(l, 2_000)}`));
  return [`${label}`, ...(lines.length > 0 ? lines : ['> (empty)'])].join('\n');
}

/**
 * A plain one-line title (an issue or PR title: GitHub links `#123` and mentions there too):
 * controls stripped, references and links broken by a zero-width space.
 */
export function titleText(text: unknown, max = 240): string {
  return markBreaks(oneLine(text, max)).replaceAll(BREAK, ZWSP);
}

/** Every string in a value (front matter) with controls, bidi and escapes stripped. */
export function plainDeep<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return plainText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [plainText(k), walk(x)]));
  };
  return walk(value) as T;
}

/** HTML text or attribute value (also raw HTML inside markdown, such as a `<summary>`). */
export function htmlText(text: unknown): string {
  return markBreaks(plainText(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replaceAll(BREAK, '&#8203;');
}

/**
 * HTML text of a page no renderer autolinks (the status page): escaped, but with no zero-width
 * breaks, so a URL reads and wraps as itself.
 */
export function htmlPageText(text: unknown): string {
  return plainText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Slack mrkdwn text: `& < >` escaped as Slack requires (so `<!channel>`, `<@U123>` and `<url|text>`
 * stay text), emphasis and code characters broken, autolinks and mentions broken.
 */
export function slackText(text: unknown, max = 3_000): string {
  return markBreaks(plainText(text).slice(0, max))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[*_~`]/g, `$&${BREAK}`)
    .replaceAll(BREAK, ZWSP);
}

/** Telegram text sent without parse_mode: plain, links and mentions broken, within the 4096 limit. */
export function telegramText(text: unknown, max = 3_500): string {
  return markBreaks(plainText(text).slice(0, max)).replaceAll(BREAK, ZWSP);
}

/**
 * Discord message content: markdown escaped, mentions (`@everyone`, `<@id>`) and links broken. The
 * payload must also carry `allowed_mentions: { parse: [] }` (see {@link DISCORD_NO_MENTIONS}).
 */
export function discordText(text: unknown, max = 1_800): string {
  return markBreaks(plainText(text).slice(0, max))
    .replace(/[\\*_~`|>[\]()#-]/g, '\\$&')
    .replace(/</g, `<${BREAK}`)
    .replaceAll(BREAK, ZWSP);
}

/** Discord's switch that no content can override: nobody is pinged, whatever the text says. */
export const DISCORD_NO_MENTIONS = { parse: [] as string[] };

/**
 * Microsoft Teams (Adaptive Card TextBlock): a markdown subset that decodes no HTML entities, so
 * markup is backslash-escaped and links and mentions are broken by a real zero-width space.
 */
export function teamsText(text: unknown, max = 3_000): string {
  return markBreaks(oneLine(text, max))
    .replace(/[\\`*_{}[\]()!|~#>+-]/g, '\\$&')
    .replace(new RegExp(`<(?!${BREAK})`, 'g'), `<${BREAK}`)
    .replaceAll(BREAK, ZWSP);
}

/** A plain-text e-mail body: controls stripped, links and mentions broken. */
export function emailText(text: unknown, max = 100_000): string {
  return markBreaks(plainText(text).slice(0, max)).replaceAll(BREAK, ZWSP);
}

/** An e-mail header value: one line (no header injection), at most 200 characters. */
export function emailHeader(text: unknown): string {
  return oneLine(text, 200);
}

/**
 * PagerDuty and Opsgenie text fields (summary, message, description, details, notes): plain text
 * their web and mobile apps show and their chat integrations forward, so links and mentions are
 * broken like Telegram's; `line` makes it one line. At most `max` characters, breaks included.
 */
export function pagingText(text: unknown, max: number, line = false): string {
  const plain = line ? oneLine(text, max) : plainText(text).slice(0, max);
  const out = markBreaks(plain).replaceAll(BREAK, ZWSP);
  return out.length <= max ? out : `${out.slice(0, max - 1)}…`;
}

/** A string for a JSON payload (JSON.stringify does the quoting): controls stripped, bounded. */
export function jsonText(text: unknown, max = 10_000): string {
  return plainText(text).slice(0, max);
}
