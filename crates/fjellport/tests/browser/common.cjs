// What the browser scripts share: Debian's Chromium through playwright-core, and logging in
// to the web app as a synthetic person through the ID-porten-like issuer's test login page.
const { chromium } = require('playwright-core');

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}

// From a page that needs a login: lands on the issuer's login page, types the identity
// number, picks the level and presses "Log in"; resolves when back on the web app.
async function logIn(page, base, path, nin) {
  await page.goto(base + path);
  if (!page.url().includes('/idporten/authorize')) {
    throw new Error(`an anonymous visit to ${path} did not land on the login (${page.url()})`);
  }
  await page.getByLabel('Identity number').fill(nin);
  await page.getByLabel('idporten-loa-substantial').check();
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/idporten') && !url.pathname.startsWith('/login'));
}

module.exports = { launch, logIn };
