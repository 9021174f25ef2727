// Swagger UI as a newcomer uses it, in Debian's Chromium driven by playwright-core (no browser download):
//   node swagger-ui.mjs <gateway base url> <screenshot folder>
// Prints one JSON line per step ({"step", ...facts}) for the .NET test to assert on; exits 1 on the first failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const report = (step, facts = {}) => process.stdout.write(`${JSON.stringify({ step, ...facts })}\n`);
const timeout = 20_000;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  // This machine's network is closed: background networking only produces refused connections.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

async function openUi(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(`${base}/swagger/index.html`);
  await page.locator('.swagger-ui .info .title').first().waitFor();
  return page;
}

async function title(page) {
  return (await page.locator('.swagger-ui .info .title').first().innerText()).split('\n')[0].trim();
}

async function authorize(page, clientId, secret) {
  await page.locator('.scheme-container .btn.authorize').click();
  const oauth = page.locator('.modal-ux .auth-container').filter({ hasText: 'clientCredentials' });
  const id = oauth.locator('input[id^="client_id"]');
  const prefilled = await id.inputValue();
  if (clientId !== prefilled) await id.fill(clientId);
  await oauth.locator('input[id^="client_secret"]').fill(secret);
  const scopes = await oauth.locator('.scopes .checkbox label').allInnerTexts();
  const token = page.waitForResponse((r) => r.url().includes('/connect/token'));
  await oauth.locator('.btn.modal-btn.auth.authorize').click();
  const tokenStatus = (await token).status();
  await oauth.locator('.btn.modal-btn.auth', { hasText: 'Logout' }).waitFor();
  await shot(page, `authorized-${clientId}`);
  await page.locator('.modal-ux .close-modal').click();
  return { prefilled, scopes, tokenStatus };
}

async function isLocked(page) {
  return (await page.locator('.scheme-container .btn.authorize').getAttribute('class')).includes('locked')
    && !(await page.locator('.scheme-container .btn.authorize').getAttribute('class')).includes('unlocked');
}

/** Expands an operation, presses Execute with what Swagger UI pre-filled, and returns what crossed the wire. */
async function execute(page, method, path, name, fill = {}) {
  const block = page.locator(`.opblock.opblock-${method.toLowerCase()}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) }).first();
  await block.locator('.opblock-summary').first().click();
  for (const [parameter, value] of Object.entries(fill))
    await block.locator(`tr[data-param-name="${parameter}"] input`).fill(value);
  const call = (r) => r.method() === method && r.resourceType() === 'fetch' && !r.url().includes('/openapi/');
  const sent = page.waitForRequest(call);
  const answered = page.waitForResponse((r) => call(r.request()));
  await block.locator('.btn.execute').click();
  const request = await sent;
  const response = await answered;
  const row = block.locator('.live-responses-table tbody tr.response').first();
  await row.waitFor();
  const shown = (await row.locator('.response-col_status').innerText()).trim();
  const shownBody = await row.locator('.response-col_description').innerText();
  const body = await response.text();
  await row.scrollIntoViewIfNeeded();
  await shot(page, name);
  await block.locator('.opblock-summary').first().click();
  return {
    url: request.url(), sentBody: request.postData(), sentAuthorization: (request.headers().authorization ?? '').split(' ')[0],
    status: response.status(), shown, shownBody, location: response.headers().location ?? null, body,
  };
}

async function selectDocument(page, name) {
  await page.locator('.topbar select').selectOption({ label: name });
  await page.locator('.swagger-ui .info .title', { hasText: name === 'ETT passthrough' ? 'ETT passthrough' : 'ETT Gateway' }).first().waitFor();
}

try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await openUi(context);
  const documents = await page.locator('.topbar select option').allInnerTexts();
  report('loaded', { title: await title(page), documents, locked: await isLocked(page) });
  await shot(page, 'loaded');

  report('authorize', await authorize(page, 'sandbox-app', 'sandbox-secret'));

  report('organizations', await execute(page, 'GET', '/organizations', 'organizations'));
  report('certificates', await execute(page, 'GET', '/organizations/{organizationId}/certificates', 'certificates'));
  const example = await page.evaluate(async () => {
    const doc = await (await fetch('../openapi/v1.json')).json();
    return doc.paths['/organizations/{organizationId}/transfers'].post.requestBody.content['application/json'].example;
  });
  const transfer = await execute(page, 'POST', '/organizations/{organizationId}/transfers', 'transfer');
  report('transfer', { ...transfer, example });
  const operationId = JSON.parse(transfer.body).operationId;
  report('operation', await execute(page, 'GET', '/operations/{operationId}', 'operation', { operationId }));

  await selectDocument(page, 'ETT passthrough');
  report('switched', { title: await title(page), locked: await isLocked(page) });
  report('passthrough', await execute(page, 'GET', '/ett/wallet-api/wallets', 'passthrough-wallets'));

  await page.reload();
  await page.locator('.swagger-ui .info .title').first().waitFor();
  report('reloaded', { title: await title(page), locked: await isLocked(page) });
  report('after-reload', await execute(page, 'GET', '/ett/wallet-api/wallets', 'after-reload-passthrough-wallets'));
  await selectDocument(page, 'Gateway API v1');
  report('switched-back', { title: await title(page), locked: await isLocked(page) });
  report('after-switch-back', await execute(page, 'GET', '/organizations', 'after-switch-back-organizations'));

  // A read-only app in a browser of its own (nothing persisted from the first).
  const readerContext = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const reader = await openUi(readerContext);
  report('reader-authorize', await authorize(reader, 'sandbox-reader', 'sandbox-secret'));
  const refused = await execute(reader, 'POST', '/organizations/{organizationId}/transfers', 'reader-transfer-refused');
  report('reader-transfer', refused);
  await browser.close();
} catch (error) {
  report('failed', { error: String(error?.stack ?? error) });
  await browser.close();
  process.exit(1);
}
