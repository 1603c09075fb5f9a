/**
 * What a page at 390×844 owes its users beyond its content (WCAG 2.1 AA): every text at a
 * contrast of 4.5:1 or more against what is behind it, and every tap target at least 44×44 px.
 */
import type { Page } from 'playwright-core';

export interface ContrastProblem {
  text: string;
  color: string;
  background: string;
  ratio: number;
}

/**
 * Each visible element that holds text of its own, inside `root`: its colour against the first
 * opaque background behind it (a gradient counts by its darkest and lightest stop colours).
 */
export function lowContrastTexts(page: Page, root: string, minimum = 4.5): Promise<ContrastProblem[]> {
  return page.evaluate(
    ({ root, minimum }) => {
      const parse = (css: string): [number, number, number, number] | null => {
        const m = css.match(/rgba?\(([^)]+)\)/);
        if (!m) return null;
        const [r, g, b, a = '1'] = m[1]!.split(/[ ,/]+/).filter(Boolean);
        return [Number(r), Number(g), Number(b), Number(a)];
      };
      const luminance = ([r, g, b]: number[]) => {
        const lin = (c: number) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
      };
      const ratio = (a: number[], b: number[]) => {
        const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
        return (x! + 0.05) / (y! + 0.05);
      };
      /** the colours behind `el`: one opaque colour, or a gradient's stops */
      const backgrounds = (el: Element | null): number[][] => {
        for (let at = el; at; at = at.parentElement) {
          const style = getComputedStyle(at);
          const stops = [...style.backgroundImage.matchAll(/rgba?\([^)]+\)/g)].map((m) => parse(m[0])!);
          if (stops.length) return stops;
          const bg = parse(style.backgroundColor);
          if (bg && bg[3] > 0.5) return [bg];
        }
        return [[255, 255, 255, 1]];
      };
      const problems: ContrastProblem[] = [];
      const scope = document.querySelector(root);
      if (!scope) throw new Error(`no ${root} on the page`);
      for (const el of scope.querySelectorAll('*')) {
        const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '');
        if (!own) continue;
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || Number(style.opacity) < 0.1)
          continue;
        // a placeholder (uview's input shows it as its own element) is a hint, not text to read
        if (el.closest('.input-placeholder, .uni-input-placeholder, [class*="placeholder"]')) continue;
        const color = parse(style.color)!;
        for (const bg of backgrounds(el)) {
          const r = ratio(color, bg);
          if (r < minimum) {
            problems.push({
              text: el.textContent!.trim().slice(0, 30),
              color: style.color,
              background: `rgb(${bg.slice(0, 3).join(', ')})`,
              ratio: Math.round(r * 100) / 100,
            });
            break;
          }
        }
      }
      return problems;
    },
    { root, minimum },
  );
}

/** The test ids on the page (visible ones) whose box is smaller than 44×44 px. */
export async function smallTapTargets(page: Page, testIds: string[], minimum = 44): Promise<string[]> {
  const small: string[] = [];
  for (const id of testIds) {
    for (const el of await page.getByTestId(id).all()) {
      if (!(await el.isVisible())) continue;
      const box = (await el.boundingBox())!;
      if (box.height < minimum - 0.5 || box.width < minimum - 0.5)
        small.push(`${id} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}
