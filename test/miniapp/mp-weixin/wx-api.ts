/**
 * The names of WeChat's `wx` APIs, read from the official typings (`miniprogram-api-typings`, the
 * package WeChat's own j-component depends on): the runtime gives every one of them a slot on `wx`,
 * so the bundle sees the same set of names it sees inside WeChat, and each one the runtime does not
 * implement throws (and is recorded) when called.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** `interface Wx { … }` of `lib.wx.api.d.ts`: its members at the interface's own indentation. */
export function wechatApiNames(): string[] {
  const jComponent = path.dirname(require.resolve('j-component/package.json'));
  const typings = createRequire(path.join(jComponent, 'index.js')).resolve('miniprogram-api-typings/package.json');
  const source = readFileSync(path.join(path.dirname(typings), 'types', 'wx', 'lib.wx.api.d.ts'), 'utf8');
  const start = source.indexOf('interface Wx {');
  if (start < 0) throw new Error('miniprogram-api-typings: interface Wx not found');
  let depth = 0;
  let end = source.indexOf('{', start);
  const open = end;
  for (; end < source.length; end++) {
    if (source[end] === '{') depth++;
    else if (source[end] === '}' && --depth === 0) break;
  }
  const body = source.slice(open, end);
  const names = new Set<string>();
  for (const m of body.matchAll(/^ {8}([A-Za-z_$][\w$]*)\??\s*[<(:]/gm)) names.add(m[1]!);
  if (names.size < 300) throw new Error(`miniprogram-api-typings: only ${names.size} wx APIs found`);
  return [...names].sort();
}

/**
 * `uni.X(…)` calls in the app's own compiled files (every file but `common/vendor.js`, which is the
 * uni-app runtime, Vue, pinia and uview-plus's shared code): in the mp-weixin build they read
 * `<vendor>.index.X(`, and each one that is a WeChat API name reaches `wx.X`.
 */
export function staticApiCalls(bundleDir: string, files: string[], wxNames: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    if (!file.endsWith('.js') || file === 'common/vendor.js') continue;
    const source = readFileSync(path.join(bundleDir, file), 'utf8');
    for (const m of source.matchAll(/\.index\.([A-Za-z]\w*)\(/g)) if (wxNames.includes(m[1]!)) names.add(m[1]!);
  }
  return [...names].sort();
}
