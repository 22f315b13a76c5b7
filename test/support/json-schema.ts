/**
 * A compact JSON-schema (OpenAPI 3.0 dialect) validator: the keywords GitHub's request bodies and
 * parameters use. Enough to make the fake GitHub refuse what the real one would refuse; `format`
 * is ignored (GitHub does not enforce most of them either).
 */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
};

/** Resolves `#/components/...` references against the whole description. */
export type Resolver = (ref: string) => Schema;

export function validate(schema: Schema, value: unknown, resolve: Resolver, at = '$'): string[] {
  if (schema.$ref) return validate(resolve(schema.$ref), value, resolve, at);
  if (value === null) {
    const allowsNull =
      schema.nullable === true || typeList(schema).includes('null') || schema.enum?.includes(null);
    return allowsNull || isUnconstrained(schema) ? [] : [`${at}: must not be null`];
  }
  const errors = [...typeErrors(schema, value, at), ...combinatorErrors(schema, value, resolve, at)];
  if (errors.length > 0) return errors;
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  if (typeof value === 'string') return stringErrors(schema, value, at);
  if (typeof value === 'number') return numberErrors(schema, value, at);
  if (Array.isArray(value)) return arrayErrors(schema, value, resolve, at);
  if (typeof value === 'object') return objectErrors(schema, value as Record<string, unknown>, resolve, at);
  return [];
}

function isUnconstrained(schema: Schema): boolean {
  return schema.type === undefined && !schema.oneOf && !schema.anyOf && !schema.allOf && !schema.enum;
}

function typeList(schema: Schema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeErrors(schema: Schema, value: unknown, at: string): string[] {
  const types = typeList(schema);
  if (types.length === 0) return [];
  const actual = jsonType(value);
  const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
  return ok ? [] : [`${at}: expected ${types.join('|')}, got ${actual}`];
}

function combinatorErrors(schema: Schema, value: unknown, resolve: Resolver, at: string): string[] {
  const errors: string[] = [];
  for (const part of schema.allOf ?? []) errors.push(...validate(part, value, resolve, at));
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, resolve, at).length === 0)) {
    errors.push(`${at}: matches none of anyOf`);
  }
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((s) => validate(s, value, resolve, at).length === 0).length;
    if (matches !== 1) errors.push(`${at}: matches ${matches} of oneOf (expected exactly 1)`);
  }
  if (schema.not && validate(schema.not, value, resolve, at).length === 0)
    errors.push(`${at}: matches "not"`);
  return errors;
}

function stringErrors(schema: Schema, value: string, at: string): string[] {
  const errors: string[] = [];
  if (schema.minLength !== undefined && value.length < schema.minLength)
    errors.push(`${at}: shorter than ${schema.minLength}`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    errors.push(`${at}: longer than ${schema.maxLength}`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${at}: does not match ${schema.pattern}`);
  }
  return errors;
}

function numberErrors(schema: Schema, value: number, at: string): string[] {
  const errors: string[] = [];
  if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  return errors;
}

function arrayErrors(schema: Schema, value: unknown[], resolve: Resolver, at: string): string[] {
  const errors: string[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems)
    errors.push(`${at}: fewer than ${schema.minItems} items`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    errors.push(`${at}: more than ${schema.maxItems} items`);
  const items = schema.items;
  if (items) {
    for (const [i, item] of value.entries()) errors.push(...validate(items, item, resolve, `${at}[${i}]`));
  }
  return errors;
}

function objectErrors(
  schema: Schema,
  value: Record<string, unknown>,
  resolve: Resolver,
  at: string,
): string[] {
  const errors: string[] = [];
  for (const key of schema.required ?? []) {
    if (!(key in value)) errors.push(`${at}: missing required property "${key}"`);
  }
  const properties = schema.properties ?? {};
  for (const [key, child] of Object.entries(value)) {
    const declared = properties[key];
    if (declared) errors.push(...validate(declared, child, resolve, `${at}.${key}`));
    else if (schema.additionalProperties === false) errors.push(`${at}: unknown property "${key}"`);
    else if (typeof schema.additionalProperties === 'object') {
      errors.push(...validate(schema.additionalProperties, child, resolve, `${at}.${key}`));
    }
  }
  return errors;
}
