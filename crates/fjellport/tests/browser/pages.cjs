// Opens each of Fjellport's web pages in Debian's Chromium (playwright-core) at 1280 and 375 px
// wide and checks what a user relies on: no serious or critical axe-core violation, no sideways
// scrolling on a phone, a first Tab that lands on the skip link, the fixed link names.
// Usage: node pages.cjs BASE_URL NIN [SCREENSHOT_DIR]; NIN is a synthetic person to log in as
// (pages marked `login` are checked logged in). Prints one line per check, exits 1 on any
// failure. NODE_PATH must name the node_modules with playwright-core and axe-core.
const path = require('path');
const { launch, logIn } = require('./common.cjs');

const NAV = ['Home', 'API keys', 'Clients', 'Persons', 'Events', 'Message box', 'Log out'];
const PAGES = [
  { path: '/', name: 'home', links: ['Home', 'API keys', 'Clients', 'Persons', 'Events', 'Message box', 'Log in'] },
  { path: '/keys', name: 'keys', links: NAV, buttons: ['Create key'], login: true },
  { path: '/clients', name: 'clients', links: NAV, buttons: ['Generate key pair in the browser', 'Register client'], login: true },
  { path: '/persons?hasSpouse=true&search=1', name: 'persons', links: [...NAV, 'Reserve a new person'], buttons: ['Search'], login: true },
  { path: '/persons/reserve', name: 'reserve', links: NAV, buttons: ['Reserve'], login: true },
  { path: '/logout', name: 'logout', links: NAV, buttons: ['Log out'], login: true },
  { path: '/events', name: 'events', links: NAV, buttons: ['Show'], login: true },
  { path: '/altinn', name: 'altinn', links: [...NAV, 'Skattemelding'], login: true },
  { path: null, from: '/altinn', name: 'message', links: NAV, buttons: ['Archive', 'Delete'], login: true },
  // The first person of the search above, by following its link.
  { path: null, from: '/persons?hasSpouse=true&search=1', name: 'person', links: NAV, login: true },
];
const WIDTHS = [1280, 375];

async function check(page, base, p, width, shots, failures) {
  let target = p.path;
  if (!target) {
    await page.goto(base + p.from);
    target = await page.locator('table a[href^="/persons/"], table a[href^="/altinn/messages/"]').first().getAttribute('href');
  }
  const where = `${p.path || p.name} at ${width} px`;
  const res = await page.goto(base + target);
  if (res.status() !== 200) failures.push(`${where}: status ${res.status()}`);
  for (const name of p.links) {
    const n = await page.getByRole('link', { name, exact: true }).count();
    if (n < 1) failures.push(`${where}: no link named ${name}`);
  }
  for (const name of p.buttons || []) {
    const n = await page.getByRole('button', { name, exact: true }).count();
    if (n < 1) failures.push(`${where}: no button named ${name}`);
  }
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > width) failures.push(`${where}: ${wide} px wide, scrolls sideways`);
  if (shots) await page.screenshot({ path: path.join(shots, `${p.name}-${width}.png`), fullPage: true });
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim());
  if (focused !== 'Skip to content') failures.push(`${where}: the first Tab lands on "${focused}"`);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(() => window.axe.run());
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) failures.push(`${where}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`);
  console.log(`checked ${where}: ${result.passes.length} axe rules pass, ${bad.length} serious or critical`);
}

// One key in the list, so the pages are checked (and pictured) with a table to show.
async function orderKey(page) {
  await page.getByLabel('Application type').selectOption({ label: 'Nettleserapplikasjon (browser)' });
  await page.getByLabel('Allowed origins').fill('http://localhost:3000');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByLabel('Secret', { exact: true }).waitFor();
}

async function main() {
  const [base, nin, shots] = process.argv.slice(2);
  const browser = await launch();
  const failures = [];
  try {
    for (const width of WIDTHS) {
      // The pages' CSP admits no injected script: axe is let in by the test alone.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      for (const p of PAGES.filter((p) => !p.login)) await check(page, base, p, width, shots, failures);
      await logIn(page, base, '/keys', nin);
      if (width === WIDTHS[0]) await orderKey(page);
      for (const p of PAGES.filter((p) => p.login)) await check(page, base, p, width, shots, failures);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  for (const f of failures) console.log(`FAIL ${f}`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
