// What a person does in the web app, in Debian's Chromium (playwright-core), one scenario
// after another: an anonymous visit to /keys lands on the login; logging in as a synthetic
// person; ordering a SyntPop browser key and calling SyntPop with its secret from a page on
// its origin (CORS passes) and from another origin (refused); revoking it (refused from then
// on); a form sent without its CSRF token is refused; registering a HelseID client with a key
// pair made in the browser, whose private key is downloaded (OUT_DIR gets it and the page's
// Python snippet, for the caller to run); logging out.
// Usage: node flows.cjs BASE_URL NIN OUT_DIR. Prints one line per step; exits 1 on the first
// failure.
const fs = require('fs');
const http = require('http');
const path = require('path');
const { launch, logIn } = require('./common.cjs');

function fail(why) {
  throw new Error(why);
}

// A page server on 127.0.0.1 (an ephemeral port): the "application" a browser key is for.
function appServer() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en"><title>app</title><h1>A test application</h1></html>');
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// From a page at `origin`, calls SyntPop 0.2 with the key, as the application's script would.
async function callFrom(context, origin, base, secret) {
  const page = await context.newPage();
  await page.goto(origin + '/');
  const outcome = await page.evaluate(async ([url, key]) => {
    try {
      const res = await fetch(url, { headers: { 'X-api-key': key, 'X-api-version': '0.2' } });
      return { status: res.status };
    } catch (e) {
      return { refused: String(e) };
    }
  }, [base + '/syntpop/api/ping', secret]);
  await page.close();
  return outcome;
}

async function main() {
  const [base, nin, out] = process.argv.slice(2);
  const app = await appServer();
  const port = app.address().port;
  // Two origins for one server: the key names the first only.
  const allowed = `http://localhost:${port}`;
  const other = `http://127.0.0.1:${port}`;
  const browser = await launch();
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();

    await logIn(page, base, '/keys', nin);
    if (new URL(page.url()).pathname !== '/keys') fail(`after the login: ${page.url()}`);
    if (!(await page.getByText('Logged in as').count())) fail('no "Logged in as" after the login');
    console.log('ok: an anonymous visit to /keys landed on the login and came back logged in');

    await page.getByLabel('API', { exact: true }).selectOption({ label: 'SyntPop' });
    await page.getByLabel('Application type').selectOption({ label: 'Nettleserapplikasjon (browser)' });
    await page.getByLabel('Allowed origins').fill(allowed);
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    if (!secret.startsWith('fjp_')) fail(`the secret shown is ${JSON.stringify(secret)}`);
    const heading = await page.getByRole('heading', { name: /^Key key_\w+ created$/ }).textContent();
    const id = heading.split(' ')[1];
    console.log('ok: created a SyntPop browser key; its secret is shown once');

    const from = await callFrom(context, allowed, base, secret);
    if (from.status !== 200) fail(`from ${allowed}: ${JSON.stringify(from)}`);
    console.log(`ok: from ${allowed} the key works (CORS passes, 200)`);
    const elsewhere = await callFrom(context, other, base, secret);
    if (!elsewhere.refused) fail(`from ${other}: ${JSON.stringify(elsewhere)}`);
    console.log(`ok: from ${other} the browser refuses the answer (${elsewhere.refused})`);

    await page.goto(base + '/keys');
    const row = page.getByRole('row').filter({ hasText: id });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(base + '/keys');
    if (!(await row.getByRole('cell', { name: 'revoked' }).count())) fail(`key ${id} is not shown revoked`);
    const revoked = await callFrom(context, allowed, base, secret);
    if (revoked.status === 200) fail(`a revoked key still works: ${JSON.stringify(revoked)}`);
    console.log(`ok: revoked; from ${allowed} it is refused now (${JSON.stringify(revoked)})`);

    // The same form, its CSRF token taken out: refused, nothing created.
    const before = await page.getByRole('button', { name: 'Revoke' }).count();
    await page.evaluate(() => document.querySelector('form[action="/keys"] input[name="csrf"]').remove());
    await page.getByLabel('Application type').selectOption({ label: 'Annet (other)' });
    await page.getByLabel('Allowed origins').fill('');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === base + '/keys' && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Create key' }).click(),
    ]);
    if (answer.status() !== 403) fail(`a form without its CSRF token got ${answer.status()}`);
    await page.goto(base + '/keys');
    if ((await page.getByRole('button', { name: 'Revoke' }).count()) !== before) fail('a key was created without the token');
    console.log('ok: a form sent without its CSRF token is refused (403) and creates nothing');

    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByLabel('Issuer', { exact: true }).selectOption('helseid');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Generate key pair in the browser' }).click(),
    ]);
    const keyFile = path.join(out, download.suggestedFilename());
    await download.saveAs(keyFile);
    const privateKey = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    const publicKey = JSON.parse(await page.getByLabel('Public key (JWK)').inputValue());
    if (!privateKey.d || publicKey.d || publicKey.kid !== privateKey.kid) {
      fail(`the key pair is not as it should be: public ${JSON.stringify(publicKey)}`);
    }
    await page.getByRole('group', { name: 'Scopes' }).getByLabel('nhntsd:syntpop-api/full-access').check();
    let sentPrivate = false;
    page.on('request', (r) => { if ((r.postData() || '').includes(encodeURIComponent(privateKey.d))) sentPrivate = true; });
    await page.getByRole('button', { name: 'Register client' }).click();
    const clientId = await page.getByLabel('Client ID', { exact: true }).inputValue();
    if (!clientId) fail('no Client ID after registering');
    if (sentPrivate) fail('the private key was sent to the server');
    fs.writeFileSync(path.join(out, 'snippet.py'), await page.locator('#python').textContent());
    fs.writeFileSync(path.join(out, 'client_id'), clientId);
    console.log(`ok: registered client ${clientId} with a key pair made in the browser; the private key was downloaded as ${download.suggestedFilename()} and never sent`);

    // Search, open a person, reserve one for the organization and find it under the owner.
    await page.getByRole('link', { name: 'Persons', exact: true }).click();
    await page.getByLabel('Gender').selectOption({ label: 'Female' });
    await page.getByLabel('Has spouse').selectOption({ label: 'Yes' });
    await page.getByRole('button', { name: 'Search' }).click();
    const first = page.getByRole('region', { name: 'Results' }).getByRole('link').first();
    const who = await first.textContent();
    await first.click();
    if (!(await page.getByRole('heading', { level: 1, name: who }).count())) fail(`the person page is not ${who}'s`);
    if (!(await page.getByRole('heading', { name: 'Family' }).count())) fail('no family on the person page');
    console.log(`ok: searched for married women and opened ${who}`);
    await page.goto(base + '/persons/reserve');
    const owner = page.getByLabel('Owner');
    const organization = await owner.locator('option').nth(1).getAttribute('value');
    await owner.selectOption(organization);
    await page.getByLabel('Gender').selectOption({ label: 'Male' });
    await page.getByLabel('Age from').fill('40');
    await page.getByLabel('Age to').fill('50');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await page.waitForURL(/\/persons\/[0-9a-f]{32}$/);
    const reservedName = (await page.getByRole('heading', { level: 1 }).textContent()).trim();
    if (!(await page.getByText(`held by`).count())) fail('the new person is not shown as held');
    await page.getByRole('link', { name: 'Persons', exact: true }).click();
    const held = page.getByRole('heading', { name: new RegExp(organization) });
    if (!(await held.count())) fail(`no reserved persons listed under ${organization}`);
    if (!(await page.getByRole('link', { name: reservedName }).count())) fail(`${reservedName} is not listed under its owner`);
    console.log(`ok: reserved ${reservedName} for ${organization} and found them under that owner`);

    await page.getByRole('link', { name: 'Log out', exact: true }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(base + '/');
    if (!(await page.getByRole('link', { name: 'Log in', exact: true }).count())) fail('no "Log in" after logging out');
    await page.goto(base + '/keys');
    if (!page.url().includes('/idporten/authorize')) fail('still logged in after "Log out"');
    console.log('ok: logged out; /keys asks for the login again');
    await context.close();
  } finally {
    await browser.close();
    app.close();
  }
}

main().catch((e) => { console.log(`FAIL ${e.message}`); process.exit(1); });
