import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

// STYLE.md: every string the console shows comes from web/src/i18n (zh-CN.json and en.json, the same keys), never a
// literal in a component.

const WEB = 'web/src';
const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : /\.tsx?$/.test(n) && !n.endsWith('.d.ts') ? [join(dir, n)] : []));
const keys = (value: unknown, prefix = ''): string[] =>
  value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k)) : [prefix];
// Each language is the strings the sign-in page loads and those the console's frame adds (console.<lang>.json).
const read = (name: string) => JSON.parse(readFileSync(`${WEB}/i18n/${name}`, 'utf8'));
const dictionary = (language: string) => ({ ...read(`${language}.json`), ...read(`console.${language}.json`) });
const zh = dictionary('zh-CN');
const en = dictionary('en');

test('the console part of each language adds areas of its own, replacing none of the sign-in part', () => {
  for (const language of ['zh-CN', 'en']) {
    const overlap = Object.keys(read(`console.${language}.json`)).filter((area) => area in read(`${language}.json`));
    assert.deepEqual(overlap, [], `${language}: areas in both files`);
  }
});

test('Chinese and English have the same keys, none empty', () => {
  assert.deepEqual(keys(en).sort(), keys(zh).sort());
  for (const [name, dict] of [['zh-CN', zh], ['en', en]]) for (const k of keys(dict)) assert.ok(String(k.split('.').reduce((o, p) => o[p], dict)).trim(), `${name}: ${k} is empty`);
});

test('every literal key a component asks for exists, and dynamic keys have their whole family', () => {
  const known = new Set(keys(zh));
  const missing: string[] = [];
  for (const file of files(WEB)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([^'$]+)'/g)) if (!known.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
  for (const family of ['nav', 'codes.stage', 'codes.tier', 'codes.rfm', 'segments.op', 'segments.kind', 'segments.schedule', 'data.status', 'recommend.action', 'layers.feature']) {
    assert.ok([...known].some((k) => k.startsWith(`${family}.`)), `${family}.* exists`);
  }
});

test('no component shows text that is not translated: JSX text and user-facing props come from t()', () => {
  const PROPS = new Set(['title', 'placeholder', 'label', 'okText', 'cancelText', 'description', 'message', 'tooltip', 'subTitle', 'emptyText', 'aria-label']);
  const found: string[] = [];
  for (const file of files(WEB).filter((f) => f.endsWith('.tsx'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
    const visit = (node: ts.Node) => {
      // Letters (any script) outside t() are words someone must translate; symbols, units and codes are not.
      if (ts.isJsxText(node) && /[\p{L}]{2,}/u.test(node.text)) found.push(`${file}: "${node.text.trim()}"`);
      if (ts.isJsxAttribute(node) && PROPS.has(node.name.getText(source)) && node.initializer && ts.isStringLiteral(node.initializer) && /[\p{L}]{2,}/u.test(node.initializer.text)) found.push(`${file}: ${node.name.getText(source)}="${node.initializer.text}"`);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.deepEqual(found, []);
});
