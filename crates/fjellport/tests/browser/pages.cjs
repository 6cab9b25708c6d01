// Opens each of Fjellport's web pages in Debian's Chromium (playwright-core) at 1280 and 375 px
// wide and checks what a user relies on: no serious or critical axe-core violation, no sideways
// scrolling on a phone, a first Tab that lands on the skip link, the fixed link names.
// Usage: node pages.cjs BASE_URL [SCREENSHOT_DIR]; prints one line per check, exits 1 on any
// failure. NODE_PATH must name the node_modules with playwright-core and axe-core.
const { chromium } = require('playwright-core');
const path = require('path');

const PAGES = [{ path: '/', name: 'home', links: ['Home'] }];
const WIDTHS = [1280, 375];

async function main() {
  const [base, shots] = process.argv.slice(2);
  const axePath = require.resolve('axe-core/axe.min.js');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const failures = [];
  try {
    for (const width of WIDTHS) {
      // The pages' CSP admits no injected script: axe is let in by the test alone.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      for (const p of PAGES) {
        const where = `${p.path} at ${width} px`;
        const res = await page.goto(base + p.path);
        if (res.status() !== 200) failures.push(`${where}: status ${res.status()}`);
        for (const name of p.links) {
          const n = await page.getByRole('link', { name, exact: true }).count();
          if (n < 1) failures.push(`${where}: no link named ${name}`);
        }
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        if (wide > width) failures.push(`${where}: ${wide} px wide, scrolls sideways`);
        if (shots) await page.screenshot({ path: path.join(shots, `${p.name}-${width}.png`), fullPage: true });
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim());
        if (focused !== 'Skip to content') failures.push(`${where}: the first Tab lands on "${focused}"`);
        await page.addScriptTag({ path: axePath });
        const result = await page.evaluate(() => window.axe.run());
        const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        for (const v of bad) failures.push(`${where}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes)`);
        console.log(`checked ${where}: ${result.passes.length} axe rules pass, ${bad.length} serious or critical`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  for (const f of failures) console.log(`FAIL ${f}`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
