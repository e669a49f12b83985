import type { DiagnosticCode } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { didYouMean } from '../config/did-you-mean.js';

// A deliberately small expression language for `${...}`: names, `.field`, `[index]`, literals and
// arithmetic. No eval: templates come from files the user may not have written.

export type Expr =
  | { kind: 'literal'; value: unknown; text: string }
  | { kind: 'name'; name: string; text: string }
  | { kind: 'member'; object: Expr; property: string; text: string }
  | { kind: 'index'; object: Expr; index: Expr; text: string }
  | { kind: 'unary'; op: '-' | '+'; operand: Expr; text: string }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; text: string }
  | { kind: 'default'; value: Expr; fallback: Expr; text: string };

type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%';

export interface ExprError {
  code: Extract<DiagnosticCode, 'undefined-variable' | 'invalid-interpolation'>;
  message: string;
}

type Token = { kind: 'num' | 'str' | 'ident' | 'op'; value: string; parsed?: unknown; start: number };

const fail = (message: string, code: ExprError['code'] = 'invalid-interpolation') => err<ExprError>({ code, message });

/**
 * Real templates are a few tokens long; the caps keep a hostile one (`${a.a.a...}` 5,000 deep) from
 * exhausting the stack in the recursive parser and evaluator.
 */
export const MAX_EXPRESSION_CHARS = 2000;
export const MAX_EXPRESSION_TOKENS = 200;

function tokenize(src: string): Result<Token[], ExprError> {
  if (src.length > MAX_EXPRESSION_CHARS) {
    return fail(`expression of ${src.length} characters is too long (at most ${MAX_EXPRESSION_CHARS}): "${src.slice(0, 40)}..."`);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (tokens.length >= MAX_EXPRESSION_TOKENS) {
      return fail(`expression has more than ${MAX_EXPRESSION_TOKENS} names, numbers and operators: "${src.slice(0, 40)}..."`);
    }
    const rest = src.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    const op = /^(\?\?|\/\/|[-+*/%().[\]])/.exec(rest);
    if (num) tokens.push({ kind: 'num', value: num[0], parsed: Number(num[0]), start: i });
    else if (ident) tokens.push({ kind: 'ident', value: ident[0], start: i });
    else if (op) tokens.push({ kind: 'op', value: op[0], start: i });
    else if (rest[0] === '"' || rest[0] === "'") {
      const quote = rest[0];
      const end = rest.indexOf(quote, 1);
      if (end === -1) return fail(`unterminated string in "${src}"`);
      tokens.push({ kind: 'str', value: rest.slice(0, end + 1), parsed: rest.slice(1, end), start: i });
      i += end + 1;
      continue;
    } else return fail(`unexpected "${rest[0]}" in "${src}"`);
    i += tokens[tokens.length - 1]!.value.length;
  }
  return ok(tokens);
}

/** Recursive-descent parser; `text` on each node is its source, used in messages. */
export function parseExpression(src: string): Result<Expr, ExprError> {
  const lexed = tokenize(src);
  if (!lexed.ok) return lexed;
  const tokens = lexed.value;
  let pos = 0;
  const peek = () => tokens[pos];
  const startOf = (t: Token | undefined) => (t ? t.start : src.length);
  const textFrom = (start: number) => src.slice(start, startOf(tokens[pos])).trim();
  const isOp = (...ops: string[]) => peek()?.kind === 'op' && ops.includes(peek()!.value);

  const binary = (next: () => Result<Expr, ExprError>, ops: BinaryOp[]) => (): Result<Expr, ExprError> => {
    const start = startOf(peek());
    let left = next();
    while (left.ok && isOp(...ops)) {
      const op = tokens[pos++]!.value as BinaryOp;
      const right = next();
      if (!right.ok) return right;
      left = ok({ kind: 'binary', op, left: left.value, right: right.value, text: textFrom(start) });
    }
    return left;
  };

  const primary = (): Result<Expr, ExprError> => {
    const token = tokens[pos++];
    if (!token) return fail(`incomplete expression "${src}"`);
    if (token.kind === 'num' || token.kind === 'str') return ok({ kind: 'literal', value: token.parsed, text: token.value });
    if (token.kind === 'ident') {
      const literals: Record<string, unknown> = { true: true, false: false, null: null };
      if (token.value in literals) return ok({ kind: 'literal', value: literals[token.value], text: token.value });
      return ok({ kind: 'name', name: token.value, text: token.value });
    }
    if (token.value === '(') {
      const inner = withDefault();
      if (!inner.ok) return inner;
      if (!isOp(')')) return fail(`missing ")" in "${src}"`);
      pos++;
      return inner;
    }
    return fail(`unexpected "${token.value}" in "${src}"`);
  };

  const postfix = (): Result<Expr, ExprError> => {
    const start = startOf(peek());
    let object = primary();
    while (object.ok && isOp('.', '[')) {
      if (tokens[pos++]!.value === '.') {
        const property = tokens[pos++];
        if (property?.kind !== 'ident' && property?.kind !== 'num') return fail(`expected a field name after "." in "${src}"`);
        object = ok({ kind: 'member', object: object.value, property: property.value, text: textFrom(start) });
      } else {
        const index = additive();
        if (!index.ok) return index;
        if (!isOp(']')) return fail(`missing "]" in "${src}"`);
        pos++;
        object = ok({ kind: 'index', object: object.value, index: index.value, text: textFrom(start) });
      }
    }
    return object;
  };

  const unary = (): Result<Expr, ExprError> => {
    if (!isOp('-', '+')) return postfix();
    const start = startOf(peek());
    const op = tokens[pos++]!.value as '-' | '+';
    const operand = unary();
    if (!operand.ok) return operand;
    return ok({ kind: 'unary', op, operand: operand.value, text: textFrom(start) });
  };

  const multiplicative = binary(unary, ['*', '/', '//', '%']);
  const additive = binary(multiplicative, ['+', '-']);

  // `a ?? b`: lowest precedence, right-associative (`a ?? b ?? "c"` tries a, then b, then "c").
  const withDefault = (): Result<Expr, ExprError> => {
    const start = startOf(peek());
    const value = additive();
    if (!value.ok || !isOp('??')) return value;
    pos++;
    const fallback = withDefault();
    if (!fallback.ok) return fallback;
    return ok({ kind: 'default', value: value.value, fallback: fallback.value, text: textFrom(start) });
  };

  if (tokens.length === 0) return fail('empty ${} expression');
  const expr = withDefault();
  if (expr.ok && pos < tokens.length) return fail(`unexpected "${tokens[pos]!.value}" in "${src}"`);
  return expr;
}

export type Scope = Record<string, unknown>;

/**
 * Marks the mapping bound to `env` in a scope: the process environment, injected by the caller so
 * resolving stays pure. It can only be read one variable at a time (`${env.NAME}`).
 */
const ENVIRONMENT = Symbol('environment');

export function environmentMapping(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) Object.defineProperty(mapping, key, { value, enumerable: true, writable: false, configurable: false });
  }
  Object.defineProperty(mapping, ENVIRONMENT, { value: true, enumerable: false });
  return mapping;
}

const isEnvironment = (v: unknown): boolean => v !== null && typeof v === 'object' && Object.hasOwn(v, ENVIRONMENT);

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** DVC's key grammar (dvc/parsing/interpolate.py get_parser): words without `.`, `[`, `]`, joined by `.word` or `[word]`. */
const DVC_KEY = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/;

/**
 * Looks `${...}` up as DVC does, as a plain key path: `item[key]` is the field named `key` (not the
 * variable), `a.0`/`a[0]` index lists, and words may hold `-` or spaces (`${data.train-split}`).
 * Undefined when the text is not such a path or names nothing; the caller then evaluates it as an
 * expression (arithmetic, `??`, `[i]` with a variable), which DVC does not have.
 */
export function selectPath(text: string, scope: Scope): { value: unknown } | undefined {
  const trimmed = text.trim();
  if (!DVC_KEY.test(trimmed)) return undefined;
  const parts = trimmed.replace(/\[/g, '.').replace(/\]/g, '').split('.').map((p) => p.trim());
  let current: unknown = scope;
  for (const [i, part] of parts.entries()) {
    if (i > 0 && isEnvironment(current)) return undefined; // `${env.X}` keeps its own messages
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(part) || Number(part) >= current.length) return undefined;
      current = current[Number(part)];
    } else if (isMapping(current) && Object.hasOwn(current, part)) {
      current = current[part];
    } else return undefined;
  }
  return isEnvironment(current) ? undefined : { value: current };
}

export function evaluate(expr: Expr, scope: Scope): Result<unknown, ExprError> {
  switch (expr.kind) {
    case 'literal':
      return ok(expr.value);
    case 'name':
      if (!Object.hasOwn(scope, expr.name)) return fail(`undefined variable "${expr.name}"${didYouMean(expr.name, Object.keys(scope))}`, 'undefined-variable');
      if (isEnvironment(scope[expr.name])) return fail(`"${expr.name}" is the environment: use one variable, e.g. \${${expr.name}.HOME}`);
      return ok(scope[expr.name]);
    case 'member':
      return access(expr.object, scope, expr.property, expr.text);
    case 'index': {
      const index = evaluate(expr.index, scope);
      if (!index.ok) return index;
      if (typeof index.value !== 'number' && typeof index.value !== 'string') return fail(`index in "${expr.text}" must be a number or a string`);
      return access(expr.object, scope, index.value, expr.text);
    }
    case 'unary': {
      const operand = evaluate(expr.operand, scope);
      if (!operand.ok) return operand;
      if (typeof operand.value !== 'number') return fail(`"${expr.text}": ${expr.op} needs a number`);
      return ok(expr.op === '-' ? -operand.value : operand.value);
    }
    case 'binary':
      return arithmetic(expr, scope);
    case 'default': {
      const value = evaluate(expr.value, scope);
      if (value.ok && value.value !== null) return value;
      if (!value.ok && value.error.code !== 'undefined-variable') return value;
      return evaluate(expr.fallback, scope);
    }
  }
}

/** The object of a `.field`/`[index]` access; unlike a bare name, the environment may be looked into. */
function evaluateObject(expr: Expr, scope: Scope): Result<unknown, ExprError> {
  if (expr.kind === 'name' && Object.hasOwn(scope, expr.name)) return ok(scope[expr.name]);
  return evaluate(expr, scope);
}

function access(objectExpr: Expr, scope: Scope, key: string | number, text: string): Result<unknown, ExprError> {
  const object = evaluateObject(objectExpr, scope);
  if (!object.ok) return object;
  const value = object.value;
  if (isEnvironment(value)) {
    const name = String(key);
    if (Object.hasOwn(value as object, name)) return ok((value as Record<string, string>)[name]);
    // No did-you-mean: it would print other variables' names from the user's environment.
    return fail(`environment variable "${name}" is not set (give a default: \${${text} ?? "value"})`, 'undefined-variable');
  }
  if (Array.isArray(value)) {
    const i = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(i)) return fail(`"${objectExpr.text}" is a list: index it with a whole number`);
    if (i < 0 || i >= value.length) return fail(`"${text}" is out of range ("${objectExpr.text}" has ${value.length} items)`, 'undefined-variable');
    return ok(value[i]);
  }
  if (isMapping(value)) {
    const name = String(key);
    if (Object.hasOwn(value, name)) return ok(value[name]);
    return fail(`undefined variable "${text}"${didYouMean(name, Object.keys(value), `${objectExpr.text}.`)}`, 'undefined-variable');
  }
  return fail(`cannot look up "${String(key)}" in "${objectExpr.text}": it is ${value === null ? 'null' : `a ${typeof value}`}`);
}

function arithmetic(expr: Extract<Expr, { kind: 'binary' }>, scope: Scope): Result<unknown, ExprError> {
  const left = evaluate(expr.left, scope);
  if (!left.ok) return left;
  const right = evaluate(expr.right, scope);
  if (!right.ok) return right;
  const a = left.value;
  const b = right.value;
  if (expr.op === '+' && typeof a === 'string' && typeof b === 'string') return ok(a + b);
  if (typeof a !== 'number' || typeof b !== 'number') return fail(`"${expr.text}": ${expr.op} needs numbers`);
  if ((expr.op === '/' || expr.op === '//' || expr.op === '%') && b === 0) return fail(`"${expr.text}": division by zero`);
  switch (expr.op) {
    case '+':
      return ok(a + b);
    case '-':
      return ok(a - b);
    case '*':
      return ok(a * b);
    case '/':
      return ok(a / b);
    // Python semantics, as params authors expect: floor division and a modulo with the divisor's sign.
    case '//':
      return ok(Math.floor(a / b));
    case '%':
      return ok(((a % b) + b) % b);
  }
}
