// axe-core in the browser test: its source is injected into the page (the
// context must bypass the app's Content-Security-Policy, which allows no
// inline script) and run over the whole document.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The impacts that fail a step. */
export const BLOCKING = ['serious', 'critical'];

/** axe's violations on the page as it is now, serious and critical ones only. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(1, 3).join(' ').trim() })),
    }));
  });
  return violations.filter((v) => BLOCKING.includes(v.impact));
}

/** One line per violation, with up to three of the elements it found. */
export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.slice(0, 3).map((n) => `${n.target}${n.summary ? ` (${n.summary})` : ''}`);
      const more = v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : '';
      return `${v.impact} ${v.id}: ${v.help} — ${nodes.join('; ')}${more}`;
    })
    .join('\n');
}
