/**
 * Vendor token formats. The well-kept part comes from secretlint's recommended rule preset
 * (@secretlint/secretlint-rule-preset-recommend: AWS, GCP, GitHub, GitLab, Slack, SendGrid,
 * Shopify, npm, OpenAI, Anthropic, Groq, Hugging Face, Linear, Notion, 1Password, Grafana,
 * Vault, Vercel, Databricks, Docker, Figma, database connection strings, basic auth), driven
 * here without secretlint's engine: its rules are plain functions of the text that report ranges.
 * The formats it does not cover yet are below, each with the vendor document that defines it.
 * Formats are a lower bound: the key/value, entropy and prefixed-token detectors catch the rest.
 */
import { rules } from '@secretlint/secretlint-rule-preset-recommend';
import { looksLikeKey } from './entropy.js';
import { type Span, span } from './spans.js';

interface RuleContext {
  report(descriptor: { range: readonly [number, number] | number[] }): void;
  ignore(): void;
  createTranslator(): (id: string) => string;
}
interface RuleSource {
  content: string;
  filePath?: string;
  ext: string;
  contentType: 'text';
}
interface Rule {
  meta: { id: string };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: RuleSource): unknown };
}

/** Labels for the rules whose name is not the vendor's. */
const RULE_LABEL: Record<string, string> = {
  aws: 'AWS SECRET',
  gcp: 'GCP KEY',
  privatekey: 'PRIVATE KEY',
  basicauth: '',
  'database-connection-string': '',
  'hashicorp-vault': 'VAULT TOKEN',
  '1password': '1PASSWORD TOKEN',
};
const OPTIONS: Record<string, Record<string, unknown>> = { aws: { enableIDScanRule: true } };

let found: { range: readonly number[]; label: string }[] = [];
let label = '';
const context: RuleContext = {
  report: (d) => {
    found.push({ range: d.range, label });
  },
  ignore: () => undefined,
  createTranslator: () => (id) => id,
};
const scanners = (rules as unknown as Rule[])
  .filter((r) => !r.meta.id.endsWith('filter-comments'))
  .map((r) => {
    const name = r.meta.id.replace('@secretlint/secretlint-rule-', '');
    return {
      label: RULE_LABEL[name] ?? `${name.toUpperCase()} TOKEN`,
      rule: r.create(context, OPTIONS[name] ?? {}),
    };
  });

/** Vendor formats secretlint's preset does not know (yet), with the document that defines each. */
const FORMATS: [RegExp, string][] = [
  // AWS IAM identifiers: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
  [/\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g, 'AWS KEY'],
  // Google: API keys, OAuth access tokens, OAuth client secrets, refresh tokens
  // https://cloud.google.com/docs/authentication/api-keys, https://developers.google.com/identity/protocols/oauth2
  [/\bAIza[0-9A-Za-z_-]{35}/g, 'GOOGLE KEY'],
  [/\bya29\.[0-9A-Za-z_-]{20,}/g, 'GOOGLE TOKEN'],
  [/\bGOCSPX-[0-9A-Za-z_-]{20,}/g, 'GOOGLE SECRET'],
  [/(?<![\w/])1\/\/0[0-9A-Za-z_-]{30,}/g, 'GOOGLE TOKEN'],
  // Stripe secret, restricted and webhook-signing keys: https://docs.stripe.com/keys, https://docs.stripe.com/webhooks
  [/\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g, 'STRIPE KEY'],
  [/\bwhsec_[0-9A-Za-z+/=]{20,}/g, 'STRIPE KEY'],
  // Slack: https://api.slack.com/authentication/token-types, https://api.slack.com/messaging/webhooks
  [/\bxox[abposre]-[0-9A-Za-z-]{10,}/g, 'SLACK TOKEN'],
  [/\bxapp-[0-9A-Za-z-]{20,}/g, 'SLACK TOKEN'],
  [/(?<=hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{8,}/g, 'SLACK WEBHOOK'],
  // SendGrid: https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys
  [/\bSG\.[0-9A-Za-z_-]{16,32}\.[0-9A-Za-z_-]{16,64}/g, 'SENDGRID KEY'],
  // Mailgun private API keys, old and current: https://documentation.mailgun.com/docs/mailgun/api-reference/authentication
  [/\bkey-[0-9a-f]{32}\b/g, 'MAILGUN KEY'],
  [/\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}\b/g, 'MAILGUN KEY'],
  // DigitalOcean personal access, OAuth and refresh tokens: https://docs.digitalocean.com/reference/api/create-personal-access-token/
  [/\bdo[opr]_v1_[0-9a-f]{64}\b/g, 'DIGITALOCEAN TOKEN'],
  // Hugging Face user and org tokens: https://huggingface.co/docs/hub/security-tokens
  [/\bhf_[A-Za-z0-9]{30,40}\b/g, 'HUGGINGFACE TOKEN'],
  [/\bapi_org_[A-Za-z0-9]{30,40}\b/g, 'HUGGINGFACE TOKEN'],
  // Terraform Cloud / HCP Terraform API tokens: https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens
  [/\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{40,}/g, 'TERRAFORM TOKEN'],
  // Grafana Cloud and service-account tokens, legacy API keys: https://grafana.com/docs/grafana/latest/administration/service-accounts/
  [/\bglc_[A-Za-z0-9+/]{32,}={0,2}/g, 'GRAFANA TOKEN'],
  [/\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b/g, 'GRAFANA TOKEN'],
  [/\beyJrIjoi[A-Za-z0-9+/=]{30,}/g, 'GRAFANA TOKEN'],
  // New Relic user, ingest, browser and license keys: https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/
  [/\bNR(?:AK|II|AA|IQ|SP|JS|AL)-[A-Za-z0-9_-]{19,40}\b/g, 'NEWRELIC KEY'],
  [/\b[a-f0-9]{36}NRAL\b/g, 'NEWRELIC KEY'],
  // Atlassian API tokens and Bitbucket app passwords: https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/
  [/\bAT(?:ATT|CTT)3[A-Za-z0-9_=-]{100,}/g, 'ATLASSIAN TOKEN'],
  [/\bATBB[A-Za-z0-9]{28,}/g, 'ATLASSIAN TOKEN'],
  // Microsoft Entra client secrets: https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials
  [/(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g, 'AZURE SECRET'],
  // Discord webhooks and bot tokens: https://discord.com/developers/docs/resources/webhook, https://discord.com/developers/docs/reference#authentication
  [/(?<=discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/)\d+\/[A-Za-z0-9_-]+/g, 'DISCORD WEBHOOK'],
  [/\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}\b/g, 'DISCORD TOKEN'],
  // Microsoft Teams incoming webhooks and Power Automate workflow URLs:
  // https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
  [/(?<=\.webhook\.office\.com\/)webhookb2\/[^\s"'<>]+/g, 'TEAMS WEBHOOK'],
  [/(?<=\.logic\.azure\.com(?::443)?\/workflows\/)[^\s"'<>]+/g, 'TEAMS WEBHOOK'],
  [/(?<=\.powerplatform\.com(?::443)?\/powerautomate\/)[^\s"'<>]+/g, 'TEAMS WEBHOOK'],
  // HashiCorp Vault service, batch and recovery tokens: https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes
  [/\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g, 'VAULT TOKEN'],
  // Braintree / PayPal access tokens: https://developer.paypal.com/braintree/docs/guides/authorization/overview
  [/\baccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}/g, 'BRAINTREE TOKEN'],
  // Telegram bot tokens: https://core.telegram.org/bots/api#authorizing-your-bot
  [/(?<!\d)\d{6,12}:AA[A-Za-z0-9_-]{30,}/g, 'TELEGRAM TOKEN'],
  // JSON Web Tokens (RFC 7519): a header and a payload that are base64url JSON objects
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, 'JWT'],
  // GitHub, GitLab, npm, PyPI, RubyGems, NuGet, Docker Hub package and CI tokens
  // https://docs.github.com/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g, 'GITHUB TOKEN'],
  // https://docs.gitlab.com/security/tokens/#token-prefixes
  [/\bgl(?:pat|ptt|rt|dt|cbt|imt|oas|ffct|agent|soat|ft|wt)-[A-Za-z0-9_-]{20,}/g, 'GITLAB TOKEN'],
  [/\bGR1348941[A-Za-z0-9_-]{20,}/g, 'GITLAB TOKEN'],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, 'NPM TOKEN'],
  [/\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g, 'PYPI TOKEN'],
  [/\brubygems_[a-f0-9]{48}\b/g, 'RUBYGEMS TOKEN'],
  [/\boy2[a-z0-9]{43}\b/g, 'NUGET KEY'],
  // Anthropic and OpenAI keys
  [/\bsk-ant-[A-Za-z0-9_-]{20,}/g, 'ANTHROPIC KEY'],
  [/\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/g, 'API KEY'],
  // Others with documented prefixes: Doppler, Postman, Pulumi, Tailscale, Supabase, PlanetScale,
  // Sentry, Mapbox, Square, Fly.io, Buildkite, SonarQube, Heroku, Netlify, Contentful, Alibaba, Tencent
  [/\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/g, 'DOPPLER TOKEN'],
  [/\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g, 'POSTMAN KEY'],
  [/\bpul-[a-f0-9]{40}\b/g, 'PULUMI TOKEN'],
  [/\btskey-[a-z]+-[A-Za-z0-9]+-[A-Za-z0-9]+/g, 'TAILSCALE KEY'],
  [/\bsbp_[a-f0-9]{40}\b/g, 'SUPABASE TOKEN'],
  [/\bpscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,}/g, 'PLANETSCALE TOKEN'],
  [/\bsntr[ysu]_[A-Za-z0-9_=+/-]{30,}/g, 'SENTRY TOKEN'],
  [/\bsk\.eyJ[A-Za-z0-9_.-]{50,}/g, 'MAPBOX TOKEN'],
  [/\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}/g, 'SQUARE TOKEN'],
  // Square access tokens: https://developer.squareup.com/docs/build-basics/access-tokens
  [/\bEAAA[A-Za-z0-9_-]{56,}/g, 'SQUARE TOKEN'],
  [/\bfo1_[A-Za-z0-9_-]{40,}/g, 'FLY TOKEN'],
  [/\bFlyV1 fm\d_[A-Za-z0-9+/=,_-]{40,}/g, 'FLY TOKEN'],
  [/\bbkua_[a-f0-9]{40}\b/g, 'BUILDKITE TOKEN'],
  [/\bsq[upa]_[a-f0-9]{40}\b/g, 'SONAR TOKEN'],
  [/\bHRKU-[A-Za-z0-9_-]{30,}/g, 'HEROKU KEY'],
  [/\bnfp_[A-Za-z0-9]{36}\b/g, 'NETLIFY TOKEN'],
  [/\bCFPAT-[A-Za-z0-9_-]{40,}/g, 'CONTENTFUL TOKEN'],
  [/\bLTAI[A-Za-z0-9]{12,20}\b/g, 'ALIBABA KEY'],
  [/\bAKID[A-Za-z0-9]{32}\b/g, 'TENCENT KEY'],
  [/\b[0-9a-f]{32}-us\d{1,2}\b/g, 'MAILCHIMP KEY'],
  // disk recovery keys: systemd-cryptenroll's (8 groups of 8 modhex characters,
  // https://www.freedesktop.org/software/systemd/man/latest/systemd-cryptenroll.html) and BitLocker's
  // (8 groups of 6 digits, https://learn.microsoft.com/windows/security/operating-system-security/data-protection/bitlocker/recovery-overview)
  [/\b[cbdefghijklnrtuv]{8}(?:-[cbdefghijklnrtuv]{8}){7}\b/g, 'RECOVERY KEY'],
  [/\b\d{6}(?:-\d{6}){7}\b/g, 'RECOVERY KEY'],
];

// A prefixed token: a short vendor word, `_` or `-`, then a long generated body (`abc_9xY…`).
const PREFIXED =
  /\b([A-Za-z][A-Za-z0-9]{1,11})([_-])(?:[A-Za-z0-9]{1,8}[_-])?([A-Za-z0-9][A-Za-z0-9_-]{23,})/g;

/** A literal each format's match contains, so a text without it skips the regex. */
function literalOf(pattern: RegExp): string | undefined {
  const m = /^(?:\\b|\(\?<[=!][^)]*\))?((?:[A-Za-z0-9_]|\\[.\-/])+)/.exec(pattern.source);
  const lit = m?.[1]?.replace(/\\(.)/g, '$1');
  return lit && lit.length >= 2 ? lit : undefined;
}
const PREFILTERED = FORMATS.map(([pattern, label]) => ({ pattern, label, literal: literalOf(pattern) }));

/** Vendor formats in a text of long tokens (see tokens.ts). */
export function vendorTokens(text: string): Span[] {
  const out: Span[] = [];
  for (const { pattern, label, literal } of PREFILTERED) {
    if (literal && !text.includes(literal)) continue;
    for (const m of text.matchAll(pattern)) {
      const s = span(text, m.index ?? 0, (m.index ?? 0) + m[0].length, label);
      if (s) out.push(s);
    }
  }
  out.push(...secretlint(text), ...prefixed(text));
  return out;
}

function secretlint(text: string): Span[] {
  found = [];
  const source: RuleSource = { content: text, ext: '', contentType: 'text' };
  for (const s of scanners) {
    label = s.label;
    s.rule.file?.(source);
  }
  const out: Span[] = [];
  for (const f of found) {
    const [start = 0, end = 0] = f.range;
    const match = text.slice(start, end);
    // URLs (basic auth, connection strings): the URL detector redacts their password and keeps the host
    if (match.includes('://') && /:\/\/[^\s/@]*:[^\s@]+@/.test(match)) continue;
    const s = match.includes('://') ? span(text, start, end, f.label) : wholeToken(text, start, end, f.label);
    if (s) out.push(s);
  }
  return out;
}

/** A match widened to the whole token around it, so a rule that matched a prefix leaves no tail. */
function wholeToken(text: string, start: number, end: number, label: string): Span | undefined {
  let s = start;
  let e = end;
  // `/` belongs to the token only when the match has one (base64); else it is a URL's or a path's
  const char = text.slice(start, end).includes('/') ? /[A-Za-z0-9_+/=.-]/ : /[A-Za-z0-9_+=.-]/;
  while (s > 0 && char.test(text[s - 1] ?? '')) s--;
  while (e < text.length && char.test(text[e] ?? '')) e++;
  // the match may sit in `KEY=value`: keep the name
  const eq = text.slice(s, start).lastIndexOf('=');
  if (eq !== -1) s += eq + 1;
  return span(text, s, e, label);
}

function prefixed(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(PREFIXED)) {
    const [, , sep, body = ''] = m;
    if (/^[0-9a-f-]+$/i.test(body) && (sep === '-' || body.length < 32)) continue; // ids: docker-<hex>.scope
    if (!looksLikeKey(body.replace(/[_-]/g, ''))) continue;
    const s = span(text, m.index ?? 0, (m.index ?? 0) + m[0].length, 'TOKEN');
    if (s) out.push(s);
  }
  return out;
}
