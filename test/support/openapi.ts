/**
 * GitHub's published OpenAPI description (from @octokit/openapi) as a request checker: which
 * operation a method + path is, and what is wrong with its query and JSON body; and as a response
 * checker and source of GitHub's own example objects, so a fake answers in GitHub's shape.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Resolver, type Schema, validate } from './json-schema.js';

interface Parameter {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  operation: Operation;
  /** more literal segments win over parameters when two templates match */
  literals: number;
}

export interface Matched {
  operationId: string;
  template: string;
  params: Record<string, string>;
  operation: Operation;
}

let cached: OpenApi | undefined;

/** The api.github.com description, parsed once per process (13 MB). */
export function githubOpenApi(): OpenApi {
  if (!cached) {
    const require = createRequire(import.meta.url);
    const file = join(
      dirname(require.resolve('@octokit/openapi/package.json')),
      'generated',
      'api.github.com.json',
    );
    cached = new OpenApi(JSON.parse(readFileSync(file, 'utf8')) as Description);
  }
  return cached;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export class OpenApi {
  private readonly routes: Route[] = [];
  readonly resolve: Resolver;

  constructor(private readonly description: Description) {
    this.resolve = (ref) => this.lookup(ref) as Schema;
    for (const [template, item] of Object.entries(description.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation) this.routes.push(compile(method.toUpperCase(), template, operation));
      }
    }
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  private lookup(ref: string): unknown {
    let node: unknown = this.description;
    for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
    if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return node;
  }

  /** The operation for a method and a (percent-encoded) path, or undefined. */
  match(method: string, path: string): Matched | undefined {
    for (const greedy of [false, true]) {
      for (const route of this.routes) {
        if (route.method !== method) continue;
        const m = (greedy ? greedyPattern(route) : route.pattern).exec(path);
        if (!m) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1] ?? '');
        });
        return {
          operationId: route.operation.operationId,
          template: route.template,
          params,
          operation: route.operation,
        };
      }
    }
    return undefined;
  }

  /** Everything the description says is wrong with this request's query and body. */
  check(matched: Matched, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const errors: string[] = [];
    const parameters = (matched.operation.parameters ?? []).map((p) =>
      p.$ref ? (this.lookup(p.$ref) as Parameter) : p,
    );
    const queryParams = parameters.filter((p) => p.in === 'query');
    for (const name of new Set(query.keys())) {
      const declared = queryParams.find((p) => p.name === name);
      if (!declared) errors.push(`query: unknown parameter "${name}"`);
      else if (declared.schema)
        errors.push(
          ...validate(
            declared.schema,
            coerce(declared.schema, query.get(name) ?? ''),
            this.resolve,
            `query.${name}`,
          ),
        );
    }
    for (const p of queryParams)
      if (p.required && !query.has(p.name)) errors.push(`query: missing "${p.name}"`);
    for (const p of parameters.filter((x) => x.in === 'path')) {
      const value = matched.params[p.name];
      if (value !== undefined && p.schema)
        errors.push(...validate(p.schema, coerce(p.schema, value), this.resolve, `path.${p.name}`));
    }
    errors.push(...this.checkBody(matched.operation, body, hasBody));
    return errors;
  }

  /** Everything the description says is wrong with a JSON response of this operation. */
  checkResponse(matched: Matched, status: number, body: unknown): string[] {
    const schema = matched.operation.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return [`response ${status}: not a JSON response the description declares`];
    return validate(schema, body, this.resolve, 'response');
  }

  /** A copy of one of GitHub's example objects (`components.examples.<name>.value`). */
  example(name: string): Record<string, unknown> {
    const found = this.description.components.examples?.[name] as { value?: unknown } | undefined;
    if (!found?.value) throw new Error(`no example ${name} in the description`);
    return structuredClone(found.value) as Record<string, unknown>;
  }

  private checkBody(operation: Operation, body: unknown, hasBody: boolean): string[] {
    const schema = operation.requestBody?.content['application/json']?.schema;
    if (!hasBody) return operation.requestBody?.required ? ['body: required'] : [];
    if (!schema) return ['body: this operation takes no JSON body'];
    return validate(schema, body, this.resolve, 'body');
  }
}

function compile(method: string, template: string, operation: Operation): Route {
  const names: string[] = [];
  let literals = 0;
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{([^}]+)\}$/.exec(segment);
      if (param?.[1]) {
        names.push(param[1]);
        return '([^/]+)';
      }
      literals += 1;
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, template, pattern: new RegExp(`^${source}$`), names, operation, literals };
}

/** `contents/{path}` and `git/ref/{ref}` take slashes when the client does not encode them. */
function greedyPattern(route: Route): RegExp {
  return new RegExp(route.pattern.source.replace(/\(\[\^\/\]\+\)\$$/, '(.+)$'));
}

/** Query and path values arrive as text; the schema speaks of integers and booleans. */
function coerce(schema: Schema, text: string): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
