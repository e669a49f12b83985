import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { keySpanAt, parseYamlSource, spanAt, spanInScalar, type YamlPath } from '../../src/config/yaml-document.js';
import { fastYamlValue } from '../../src/config/yaml-value.js';
import { seeded } from '../core/seeded.js';

// The fast parser (js-yaml) must give exactly what the `yaml` library gives, or decline. The
// reference is the pre-js-yaml code path: parseDocument with the same options, then toJS.

const repo = path.resolve(import.meta.dirname, '../..');

function reference(text: string): { ok: true; value: unknown } | { ok: false } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) return { ok: false };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 1000 }) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Whenever the fast path answers, `yaml` accepts the text and gives the same value; parseYamlSource agrees with `yaml` either way. */
function expectSameAsYaml(text: string): boolean {
  const want = reference(text);
  const fast = fastYamlValue(text);
  if (fast) {
    expect(want, JSON.stringify(text)).toMatchObject({ ok: true });
    expect(fast.value, JSON.stringify(text)).toStrictEqual(want.ok && want.value);
  }
  const parsed = parseYamlSource('f.yaml', text);
  expect(parsed.ok, JSON.stringify(text)).toBe(want.ok);
  if (parsed.ok && want.ok) expect(parsed.value.value, JSON.stringify(text)).toStrictEqual(want.value);
  return fast !== undefined;
}

/**
 * Every string the config, resolve, core, sweep and ui tests (and the integration tests on errors,
 * templating and params) write as a literal, plus `lines(...)` and `[...].join('\n')` of literals:
 * all YAML snippets those tests load, and plenty of other text (any text must give the same answer).
 */
function snippetsFromTests(): string[] {
  const files = [
    ...['config', 'resolve', 'core', 'sweep', 'ui'].flatMap((dir) =>
      readdirSync(path.join(repo, 'test', dir))
        .filter((f) => f.endsWith('.ts') && f !== 'yaml-fast-path.test.ts')
        .map((f) => path.join(repo, 'test', dir, f)),
    ),
    ...['errors', 'templating', 'params'].map((name) => path.join(repo, 'test', 'integration', `${name}.test.ts`)),
  ];
  const found = new Set<string>();
  const literal = (n: ts.Node): string | undefined => (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) ? n.text : undefined);
  const visit = (n: ts.Node): void => {
    const text = literal(n);
    if (text !== undefined) found.add(text);
    if (ts.isCallExpression(n)) {
      const args = n.arguments.map(literal);
      const allLiteral = args.every((a): a is string => a !== undefined);
      if (ts.isIdentifier(n.expression) && n.expression.text === 'lines' && allLiteral) found.add(args.join('\n'));
      if (ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'join' && ts.isArrayLiteralExpression(n.expression.expression)) {
        const items = n.expression.expression.elements.map(literal);
        if (items.every((i): i is string => i !== undefined) && allLiteral) found.add(items.join(args[0] ?? ','));
      }
    }
    ts.forEachChild(n, visit);
  };
  for (const file of files) visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  return [...found];
}

const projectFiles = ['pipeline.yaml', 'params.yaml', 'examples/quickstart/pipeline.yaml', 'examples/quickstart/params.yaml', 'configs/folding.json'].map((f) =>
  readFileSync(path.join(repo, f), 'utf8'),
);

/** Tricky YAML, each expected to take the fast path (true) or to be left to `yaml` (false). */
const tricky: [string, boolean][] = [
  // numbers as strings, and strings that look like numbers
  ['a: "1"\nb: \'2\'\nc: 3\nd: "0x1F"\ne: 0x1F\nf: 0o17\ng: 017\nh: +12\ni: -0\nj: 1e3\nk: 1.\nl: .5\nm: -.5\nn: +.5\n', true],
  ['a: 0b101\nb: 1_000\nc: 1_000.5\nd: -0x1F\ne: +0o7\nf: 0o8\ng: 0xG\nh: 1e\ni: 12:30:45\nj: 2001-12-14\nk: 2001-12-14T21:59:43Z\n', true],
  ['big: 123456789012345678901234567890\nhuge: ' + '9'.repeat(400) + '\nsmall: 1e-400\nneg: -1e400\n', true],
  // YAML 1.1 booleans are strings in 1.2
  ['a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: Yes\nh: NO\ni: true\nj: True\nk: TRUE\nl: false\nm: tRUE\n', true],
  ['a: null\nb: ~\nc:\nd: Null\ne: NULL\nf: nULL\ng: "null"\nh: \'~\'\n', true],
  ['a: .inf\nb: -.Inf\nc: +.INF\nd: .nan\ne: .NaN\nf: .NAN\ng: .nAn\nh: inf\ni: nan\n', true],
  // block scalars with every chomping indicator, folding, more-indented lines, trailing blank lines
  ['a: |\n  line 1\n  line 2\n\n\nb: |-\n  x\n\nc: |+\n  y\n\n\nd: >\n  folded\n  text\n\n  para\ne: >-\n  f\n    more indented\n  back\n', true],
  ['a: >+\n  keep\n\n', true],
  ['cmd: |\n  python train.py \\\n    --lr ${lr}\n  echo done # not a comment\n', true],
  ['a: |\n  x\n   \n  y\n', false],
  ['a: |2\n    two extra\n', false],
  ['|\n  top-level block\n', false],
  // flow collections, quoting, comments, unicode
  ['deps: [a, "b c", \'d\', {e: f}, [g, h], ~, 1, "2"]\nouts: {x: 1, "y": [z], w: }\n', true],
  ['a: [1, 2, 3] # comment\n# full-line comment\nb: "quoted # not comment"\nc: x#y\n', true],
  ['name: "caf\\u00e9 \\U0001F600 \\x41 \\t tab \\\\ \\"q\\""\nsingle: \'it\'\'s\'\nplain: ünïcödé ☃ 😀\n', true],
  ['"quoted key": 1\n\'single key\': 2\nkey with spaces: 3\n"1": a\n2: b\n1.5: c\ntrue: d\n.inf: e\n', true],
  ['url: http://example.com:8080/x?y=1#frag\nimage: "${repo}:${tag}"\nratio: 1:2\n', true],
  ['s: "multi\n  line"\n', false],
  ['deps: [a,\n  b]\n', false],
  ['{"json": [1, 2.5, "x", null, true, {"nested": {}}],\n "more": []}\n', true],
  ['[1, [2, [3, []]], {}]\n', true],
  // merge keys and anchors: always the `yaml` path
  ['base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n', false],
  ['a: {<<: {x: 1}, y: 2}\n', false],
  ['a: &x [1, 2]\nb: *x\n', false],
  ['a: !!str 1\nb: !custom x\n', false],
  ['%YAML 1.1\n---\na: yes\n', false],
  ['~: x\nnull: y\n', false],
  ['? complex\n: key\n', false],
  ['[a, b]: c\n', false],
  // empty documents and documents that are only a scalar
  ['', true],
  ['# only a comment\n', true],
  ['---\n', true],
  ['---\na: 1\n...\n', true],
  ['~', true],
  ['just a string', true],
  ['42', true],
  ['"quoted"', true],
  ['- a\n- b\n', true],
  ['a: 1\r\nb:\r\n  - x\r\n  - y\r\n', true],
  ['\uFEFFa: 1\n', false],
  // errors: duplicate keys, syntax errors, tabs, several documents
  ['a: 1\na: 2\n', false],
  ['1: a\n"1": b\n', false],
  ['a: [1, 2\n', false],
  ['a:\n\t- x\n', false],
  ['a: 1\n---\nb: 2\n', false],
  ['a: "x"#c\n', false],
  ['a: b: c\n', false],
];

describe('fast YAML values', () => {
  test.each(tricky)('%j', (text, fast) => {
    expect(expectSameAsYaml(text)).toBe(fast);
  });

  test('every snippet the config and resolver tests use gives the same value or the same failure', () => {
    const snippets = snippetsFromTests();
    expect(snippets.length).toBeGreaterThan(300);
    let fast = 0;
    for (const text of snippets) if (expectSameAsYaml(text)) fast++;
    // Most snippets are valid YAML and should not need the slow path.
    expect(fast / snippets.length).toBeGreaterThan(0.6);
  });

  test('the repository pipelines and params files take the fast path', () => {
    for (const text of projectFiles) expect(expectSameAsYaml(text)).toBe(true);
  });

  test('mutated pipelines: same value, or declined', () => {
    const random = seeded(7);
    const inserts = [' ', '  ', '\n', ':', ': ', '- ', '-', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '\t', '|', '>', '?', '~', 'null', '1', '.', '\\', '&', '*', '!', '%', '@', '\r', 'é'];
    for (let n = 0; n < 1000; n++) {
      let text = projectFiles[Math.floor(random() * projectFiles.length)]!;
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = Math.floor(random() * text.length);
        const r = random();
        if (r < 0.45) text = text.slice(0, at) + inserts[Math.floor(random() * inserts.length)] + text.slice(at);
        else if (r < 0.8) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else {
          const lines = text.split('\n');
          const k = Math.floor(random() * lines.length);
          lines[k] = random() < 0.5 ? lines[k]!.replace(/^ /, '') : ` ${lines[k]}`;
          text = lines.join('\n');
        }
      }
      expectSameAsYaml(text);
    }
  });

  test('random values written in many styles: same value, or declined', () => {
    const random = seeded(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const alphabet = [...'abZ019 :#-?,[]{}"\'\\\n\t\r&*!|>%@`.~ex+_$=/', 'é', '☃', '😀', '\u0085', '\u00a0', '\u2028', '\ufeff', '\u0000', '\u001b'];
    const words = ['null', 'true', 'False', 'yes', '~', '1', '-1', '0x1F', '0o17', '1e3', '.inf', '-.Inf', '.nan', '1.5', '007', '0b11', '1_000', '12:30:00', '', ' ', '---', '...', '- a', 'a: b', '#', 'x #y', '<<'];
    const text = () => (random() < 0.3 ? pick(words) : Array.from({ length: Math.floor(random() * 8) }, () => pick(alphabet)).join(''));
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.5) {
        const k = random();
        if (k < 0.6) return text();
        if (k < 0.75) return Math.floor(random() * 2000 - 1000);
        if (k < 0.85) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
        return pick([true, false, null, NaN, Infinity, -Infinity, -0, 1e21, [], {}]);
      }
      if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text(), value(depth + 1)]));
    };
    const styles = [
      {},
      { lineWidth: 20 },
      { defaultStringType: 'QUOTE_DOUBLE' },
      { defaultStringType: 'QUOTE_SINGLE', defaultKeyType: 'PLAIN' },
      { collectionStyle: 'flow' },
      { indent: 4, indentSeq: false },
      { blockQuote: 'folded', lineWidth: 15 },
      { blockQuote: 'literal' },
    ] as const;
    let fast = 0;
    for (let n = 0; n < 300; n++) {
      const v = value(0);
      for (const style of styles) if (expectSameAsYaml(stringify(v, style))) fast++;
      if (expectSameAsYaml(JSON.stringify(v, null, random() < 0.5 ? 2 : 0) ?? 'null')) fast++;
    }
    expect(fast).toBeGreaterThan(1000);
  });

  test('an alias bomb is refused as before', () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const parsed = parseYamlSource('bomb.yaml', `${rows.join('\n')}\n`);
    expect(!parsed.ok && parsed.error[0]?.message).toMatch(/resource exhaustion/);
  });
});

describe('positions parsed on demand', () => {
  const text = [
    'vars:',
    '  - params.yaml',
    'stages:',
    '  train:',
    '    cmd: python train.py --lr ${lr} --x ${x}',
    '    deps: [data, "src/train.py"]',
    '    outs:',
    '      - model.pt',
    '      - metrics.json: {cache: false}',
    '  "quoted name":',
    '    cmd: |',
    '      echo ${a}',
    '',
  ].join('\n');
  const paths: YamlPath[] = [[], ['vars', 0], ['stages'], ['stages', 'train'], ['stages', 'train', 'cmd'], ['stages', 'train', 'deps', 1], ['stages', 'train', 'outs', 1, 'metrics.json'], ['stages', 'quoted name', 'cmd'], ['stages', 'missing', 'x']];

  test('spans taken before the Document exists equal spans taken after', () => {
    const lazy = parseYamlSource('pipeline.yaml', text);
    const eager = parseYamlSource('pipeline.yaml', text);
    if (!lazy.ok || !eager.ok) return expect.fail('does not parse');
    const early = paths.flatMap((p) => [spanAt(lazy.value, p), keySpanAt(lazy.value, p)]);
    const earlyInScalar = [spanInScalar(lazy.value, ['stages', 'train', 'cmd'], 29, 5), spanInScalar(lazy.value, ['stages', 'quoted name', 'cmd'], 5, 4)];
    expect(eager.value.doc.errors).toEqual([]);
    const late = paths.flatMap((p) => [spanAt(eager.value, p), keySpanAt(eager.value, p)]);
    const lateInScalar = [spanInScalar(eager.value, ['stages', 'train', 'cmd'], 29, 5), spanInScalar(eager.value, ['stages', 'quoted name', 'cmd'], 5, 4)];
    expect(early).toEqual(late);
    expect(earlyInScalar).toEqual(lateInScalar);
    // Spread and JSON (used to deduplicate diagnostics) see the positions too.
    expect(JSON.parse(JSON.stringify(early[8]))).toEqual({ ...late[8] });
    expect(late[8]).toEqual({ file: 'pipeline.yaml', line: 5, col: 10, endLine: 5, endCol: 45 });
  });
});

