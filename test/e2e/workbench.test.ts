/**
 * End to end in real Chromium (Debian's, driven by playwright-core): `deml serve` on a temporary
 * data directory, an experiment on the embedded dataset, MAML and Meta-SGD runs with a tiny
 * config, live charts, cancel and resume, meta-test accuracies; screenshots of every screen go to
 * test-results/screenshots/. Set CHROMIUM_PATH to use another Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Browser, type Locator, type Page, type WebSocketRoute, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedPng } from '../helpers/images';
import { haveSlurm } from '../helpers/slurm';
import { tempDirs } from '../helpers/temp';

const ROOT = resolve(__dirname, '../..');
const SHOTS = resolve(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const tempDir = tempDirs('deml-e2e');
/** A run that trains until it is cancelled: tiny, and far more iterations than a test waits for. */
const LONG_RUN = {
  data: 'glyphs',
  ways: 5,
  queries: 2,
  metaBatch: 1,
  iterations: 5000,
  evalTasks: 10,
  valEvery: 1000,
  checkpointEvery: 1000,
  backend: 'wasm',
  model: { filters: 4 },
};

let server: ChildProcess;
let openUrl = '';
let base = '';
let token = '';
let browser: Browser;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });
}

function raw(path: string, headers: Record<string, string>, method = 'POST'): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end(method === 'POST' ? '{"args":[]}' : undefined);
  });
}

/** A GET that keeps the body as sent (no decompression): its headers and bytes. */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request(`${base}${path}`, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** A call to the service as the page makes it (POST /api/<channel>), its result. */
async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
  const res = await fetch(`${base}/api/${channel}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ args }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (!res.ok) throw new Error(`${channel}: ${body.error?.message ?? res.status}`);
  return body.result as T;
}

/** What a click on `button` inside `within` (the results table's export row) downloads. */
async function downloaded(button: string, within: Locator = page.locator('.export').last()) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    within.getByRole('button', { name: button }).click(),
  ]);
  return { name: file.suggestedFilename(), body: readFileSync((await file.path())!) };
}

/** The left edges of two elements, in CSS pixels. */
async function lefts(
  a: ReturnType<Page['locator']>,
  b: ReturnType<Page['locator']>,
): Promise<[number, number]> {
  return [(await a.boundingBox())!.x, (await b.boundingBox())!.x];
}

/** A checkbox sits beside its words: a checkbox's width, at the label's left, on one line with them. */
async function expectCheckboxBesideItsText(box: ReturnType<Page['locator']>): Promise<void> {
  const label = box.locator('xpath=ancestor::label[1]');
  const b = (await box.boundingBox())!;
  const l = (await label.boundingBox())!;
  expect(b.width).toBeLessThan(30);
  expect(Math.abs(b.x - l.x)).toBeLessThan(6);
  expect(l.height).toBeLessThan(2.5 * b.height); // side by side, not stacked
  expect(l.width).toBeLessThan(700); // not stretched over the form with the text far away
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = tempDir();
  server = spawn(process.execPath, [resolve(ROOT, 'bin/deml.mjs'), 'serve', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  openUrl = await new Promise<string>((ok, fail) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /open (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    server.on('exit', (code) => fail(new Error(`deml serve exited (${code}): ${err}`)));
  });
  const url = new URL(openUrl);
  base = url.origin;
  token = url.searchParams.get('token')!;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(60_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode == null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

describe('the workbench in Chromium', () => {
  it('refuses requests without the token and calls from other origins', async () => {
    expect(await raw('/', {}, 'GET')).toBe(401);
    expect(await raw('/api/runs:list', {})).toBe(401);
    expect(await raw('/api/runs:list', { authorization: 'Bearer wrong-token' })).toBe(401);
    expect(await raw('/api/runs:list', { authorization: `Bearer ${token}` })).toBe(200);
    expect(
      await raw('/api/runs:list', { authorization: `Bearer ${token}`, origin: 'http://evil.example' }),
    ).toBe(403);
    expect(await raw('/api/runs:list', { authorization: `Bearer ${token}`, host: 'evil.example' })).toBe(403);
    expect(await raw('/api/no:such', { authorization: `Bearer ${token}` })).toBe(404);
    // Static files come from the renderer bundle only: a path climbing out gets the app's page.
    const climbed = await fetch(`${base}/..%2F..%2Fpackage.json`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await climbed.text()).not.toContain('"devDependencies"');
    expect(await raw('/api/runs:list', { authorization: `Bearer ${token}` }, 'GET')).toBe(405);
    // A page of another origin cannot open the event stream either.
    const other = await browser.newPage();
    await other.goto('about:blank');
    const socket = await other.evaluate(
      (url) =>
        new Promise<string>((r) => {
          const ws = new WebSocket(url);
          ws.onopen = () => r('open');
          ws.onerror = () => r('refused');
        }),
      `${base.replace('http', 'ws')}/events?token=${token}`,
    );
    expect(socket).toBe('refused');
    await other.close();
  });

  it('serves the app compressed to browsers that accept it', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const html = await rawGet('/', { ...auth, 'accept-encoding': 'gzip' });
    expect(html.headers['content-encoding']).toBe('gzip');
    const src = /src="([^"]+\.js)"/.exec(gunzipSync(html.body).toString())![1]!;
    const script = new URL(src, `${base}/`).pathname;
    const plain = await rawGet(script, auth);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await rawGet(script, { ...auth, 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(
      (await rawGet(script, { ...auth, 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'],
    ).toBe('gzip');
  });

  it('creates MAML and Meta-SGD runs, charts them live, cancels and resumes one, and shows meta-test accuracies', async () => {
    await page.goto(openUrl);
    await expect.poll(() => page.url()).toBe(`${base}/`); // the token moved to a cookie
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    await shot('experiments-empty');

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('select[name=backend]').selectOption('wasm');
    await page.locator('input[name=theme][value=dark]').check();
    await shot('settings');
    await page.locator('input[name=theme][value=light]').check();

    await page.getByRole('link', { name: 'New experiment' }).click();
    await page.getByLabel('Preset').selectOption('maml-vs-metasgd');
    await expect.poll(() => page.locator('input[name="learner-metasgd"]').isChecked()).toBe(true);
    await page.locator('input[name=name]').fill('e2e MAML vs Meta-SGD');
    await page.locator('select[name=data]').selectOption('glyphs');
    // Inline validation with the service's schema: a bad value disables launching.
    await page.locator('input[name=ways]').fill('0');
    await expect.poll(() => page.getByRole('button', { name: /Create and launch/ }).isDisabled()).toBe(true);
    // The class split is a field of its own, checked by the same schema.
    const split = page.locator('input[name=split]');
    expect(await split.inputValue()).toBe('0.6, 0.2, 0.2');
    await split.fill('0.5, 0.3, 0.3');
    await expect.poll(() => page.locator('input[name=split] ~ .issue').textContent()).toMatch(/sum to 1/);
    await split.fill('0.6, 0.2, 0.2');
    // A learner's own settings show when it is chosen, checked against the task's shape.
    await page.locator('input[name=ways]').fill('5');
    await page.locator('input[name="learner-mann"]').check();
    const mannSettings = page.locator('[data-learner-settings=mann]');
    await mannSettings.getByText('MANN (memory-augmented)').waitFor();
    await page.locator('input[name="mann.memorySlots"]').fill('20');
    await expect
      .poll(() => mannSettings.locator('.issue').first().textContent())
      .toContain('20 slots cannot hold an episode of 5 classes × 10 instances');
    await expect.poll(() => page.getByRole('button', { name: /Create and launch/ }).isDisabled()).toBe(true);
    await page.locator('input[name="mann.memorySlots"]').fill('64');
    await expect.poll(() => mannSettings.locator('.issue').count()).toBe(0);
    await expect
      .poll(() => page.getByRole('button', { name: 'Create and launch 3 run(s)' }).isEnabled())
      .toBe(true);
    await shot('new-experiment-mann');
    // Seeds that are not whole numbers ≥ 0 make no runs: the button says what is wrong.
    await page.locator('input[name=seeds]').fill('0,-1,x');
    const seedsRefused = page.getByRole('button', { name: /^Cannot launch: the seeds/ });
    await expect.poll(() => seedsRefused.textContent()).toContain('-1, x are not whole numbers ≥ 0');
    expect(await seedsRefused.isDisabled()).toBe(true);
    expect(await page.locator('label:has(input[name=seeds]) + .issue').textContent()).toContain('-1, x');
    expect(await page.getByRole('button', { name: /Create and launch/ }).count()).toBe(0);
    await page.locator('input[name=seeds]').fill('0, 0');
    await page.getByRole('button', { name: 'Create and launch 3 run(s)' }).waitFor();
    await page.locator('input[name=seeds]').fill('0');
    await page.locator('input[name="learner-mann"]').uncheck();
    await expect.poll(() => mannSettings.count()).toBe(0);
    // A setting shows only where a chosen learner reads it: Meta-SGD learns its inner rates, so
    // alone it is offered no α (docs/config.md says the same, from the same rule).
    const innerLr = page.locator('input[name=innerLr]');
    await innerLr.waitFor();
    await page.locator('input[name="learner-maml"]').uncheck();
    await expect.poll(() => innerLr.count()).toBe(0);
    // Runs are made in the order the learners were ticked: MAML first again.
    await page.locator('input[name="learner-metasgd"]').uncheck();
    await page.locator('input[name="learner-maml"]').check();
    await innerLr.waitFor();
    await page.locator('input[name="learner-metasgd"]').check();
    const tiny: Record<string, string> = {
      ways: '5',
      queries: '2',
      metaBatch: '1',
      iterations: '200',
      evalTasks: '20',
      valEvery: '40',
      checkpointEvery: '40',
      'model.filters': '4',
    };
    for (const [name, value] of Object.entries(tiny)) await page.locator(`input[name="${name}"]`).fill(value);
    const launch = page.getByRole('button', { name: 'Create and launch 2 run(s)' });

    // The schema's refusals read as sentences, each under its field or listed above the button.
    await page.locator('input[name=ways]').fill('1');
    await expect
      .poll(() => page.locator('input[name=ways] + .issue').textContent())
      .toBe('must be at least 2');
    await page.locator('input[name=ways]').fill('5');
    await page.locator('select[name=space]').selectOption('concept');
    const concept = page.locator('[data-space-settings=concept]');
    for (const field of [
      'concept.generator.width',
      'concept.generator.conceptSize',
      'concept.pretrainIterations',
      'concept.externalBatch',
      'concept.generator.stages',
    ])
      await concept.locator(`[name="${field}"]`).waitFor();
    await concept.locator('input[name="concept.lambda"]').fill('-1');
    await expect
      .poll(() => concept.locator('input[name="concept.lambda"] + .issue').textContent())
      .toBe('must be at least 0');
    await expect.poll(() => launch.isDisabled()).toBe(true);
    await concept.locator('input[name="concept.lambda"]').fill('1');
    // A refusal only the service can make (D would see the meta-test classes) stays until the
    // field it names changes, then launching is possible again: no dead end.
    await concept.locator('select[name="concept.external"]').selectOption('glyphs');
    await launch.click();
    const externalIssue = concept.locator('select[name="concept.external"] ~ .issue');
    await expect
      .poll(() => externalIssue.textContent())
      .toMatch(/shares 180 class\(es\) with the meta-test split/);
    await expect.poll(() => launch.isDisabled()).toBe(true);
    await shot('new-experiment-refused');
    await concept.locator('select[name="concept.external"]').selectOption('glyphs-external');
    await expect.poll(() => externalIssue.count()).toBe(0);
    await expect.poll(() => launch.isEnabled()).toBe(true);
    await page.locator('select[name=space]').selectOption('pixels');
    await expect.poll(() => concept.count()).toBe(0);

    // Leaving the page loses nothing.
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets' }).waitFor();
    await page.getByRole('link', { name: 'New experiment' }).click();
    expect(await page.locator('input[name=name]').inputValue()).toBe('e2e MAML vs Meta-SGD');
    expect(await page.locator('input[name=iterations]').inputValue()).toBe('200');
    expect(await page.locator('input[name="learner-metasgd"]').isChecked()).toBe(true);
    // The backend starts at Settings' choice and can be changed here; webgpu is offered.
    const backend = page.locator('[data-executor] select[name=backend]');
    expect(await backend.inputValue()).toBe('wasm');
    expect(await backend.locator('option').allTextContents()).toEqual([
      'auto',
      'tensorflow',
      'webgpu',
      'wasm',
      'cpu',
    ]);
    await shot('new-experiment');
    await launch.click();

    await page.getByRole('heading', { name: 'e2e MAML vs Meta-SGD' }).waitFor();
    const mamlRow = page.locator('tr[data-learner=maml]');
    const metasgdRow = page.locator('tr[data-learner=metasgd]');
    await mamlRow.waitFor();
    await metasgdRow.waitFor();
    const experimentPage = page.url();
    await shot('experiment');
    // Every cell sits under its own header.
    const headers = await page.locator('table.runs thead th').allTextContents();
    const cellUnder = (row: typeof mamlRow, header: string) => row.locator('td').nth(headers.indexOf(header));
    // Each row names its cell (here the learner alone: its runs differ in nothing else).
    expect(await cellUnder(mamlRow, 'Cell').textContent()).toBe('MAML');
    expect(await cellUnder(metasgdRow, 'Cell').textContent()).toBe('Meta-SGD');
    expect(await cellUnder(mamlRow, 'Seed').textContent()).toBe('0');
    expect(await cellUnder(mamlRow, 'Status').locator('[data-status]').count()).toBe(1);
    expect(await cellUnder(mamlRow, 'Progress').getByRole('progressbar').count()).toBe(1);

    // The MAML run: its chart grows while it trains.
    await mamlRow.getByRole('link').click();
    await page.getByRole('heading', { name: /Run #\d+: MAML · seed 0/ }).waitFor();
    const lossChart = page.locator('figure[aria-label^="Loss"]');
    const points = async () => Number(await lossChart.getAttribute('data-points'));
    await expect.poll(points, { timeout: 90_000 }).toBeGreaterThan(3);
    const first = await points();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(first);
    await shot('run-training');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('[data-status=cancelled]').waitFor({ timeout: 60_000 });
    const stoppedAt = await points();
    await shot('run-cancelled');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('h2 [data-status=completed]').waitFor({ timeout: 180_000 });
    await page.locator('tr[data-split=test] .accuracy').waitFor();
    expect(await page.locator('tr[data-split=test] .accuracy').textContent()).toMatch(
      /\d+\.\d\d% ± \d+\.\d\d%/,
    );
    expect(await points()).toBe(200); // one point per iteration: no gap, no duplicate after resume
    expect(stoppedAt).toBeLessThan(200);
    // What was recorded is on the page: speed and memory over time, when it ran, its checkpoints
    // (and where a resume starts), the full config.
    await page.locator('figure[aria-label="Speed"]').waitFor();
    // The class split its training took, said on the page.
    expect(await page.locator('[data-class-split]').textContent()).toBe(
      "Split: train 900 / val 120 / test 180 classes, the dataset's own split.",
    );
    expect(Number(await page.locator('figure[aria-label="Memory"]').getAttribute('data-points'))).toBe(200);
    // The CPU share over time, and what and where the trainer ran with.
    await page.locator('figure[aria-label="CPU"]').waitFor();
    expect(await page.locator('[data-provenance]').textContent()).toMatch(
      /Software: (commit [0-9a-f]{12}(\+changes)?|no git commit) · Node v\d+\.\d+\.\d+ · tfjs 4\.22\.0 · wasm: @tensorflow\/tfjs-backend-wasm 4\.22\.0\. Machine: .* · no GPU\./,
    );
    expect(await page.locator('[data-duration]').textContent()).toMatch(/^\s*\d+ (s|min \d+ s)\s*$/);
    expect(await page.locator('[data-table=checkpoints] tbody tr td').first().textContent()).toBe('200');
    expect(await page.locator('[data-resume-from]').textContent()).toContain('iteration 200');
    await page.getByText('Config', { exact: true }).click();
    const configRow = (key: string) =>
      page
        .locator('[data-table=config] tr')
        .filter({ has: page.getByRole('rowheader', { name: key, exact: true }) });
    expect(await configRow('model.filters').locator('td').textContent()).toBe('4');
    expect(await configRow('iterations').locator('td').textContent()).toBe('200');
    // The trainer's own log: what it trained with, its progress, validations, checkpoints, result.
    await page.getByText('Trainer log', { exact: true }).click();
    const log = await page.locator('pre.log').textContent();
    for (const part of [
      /network: .*conv4/,
      /resumed at iteration \d+ from/,
      /iteration 200\/200: loss/,
      /validation at 40: /,
      /checkpoint at 200: /,
      /meta-test: \d+\.\d\d% ± /,
      /run \d+: completed/,
    ])
      expect(log).toMatch(part);
    // Notes and tags are kept with the run.
    const saveNotes = page.getByRole('button', { name: 'Save notes and tags' });
    expect(await saveNotes.isDisabled()).toBe(true);
    await page.locator('textarea[name=run-notes]').fill('cancelled and resumed once');
    await page.locator('input[name=run-tags]').fill('baseline, e2e');
    await saveNotes.click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.reload();
    await expect.poll(() => page.locator('input[name=run-tags]').inputValue()).toBe('baseline, e2e');
    expect(await page.locator('textarea[name=run-notes]').inputValue()).toBe('cancelled and resumed once');
    await shot('run-completed');

    // Evaluate the finished run again at another setting: refused per field first, then queued,
    // carried out by the queue and listed with the run's evaluations.
    await page.getByRole('button', { name: 'Evaluate…' }).click();
    const evaluate = page.getByRole('form', { name: 'Evaluate this run' });
    await evaluate.locator('input[name=ways]').fill('500');
    await evaluate.getByRole('button', { name: 'Queue the evaluation' }).click();
    await evaluate
      .locator('.issue')
      .filter({ hasText: /500-way tasks need 500 classes/ })
      .waitFor();
    await expectCheckboxBesideItsText(evaluate.locator('input[name=use-episode-file]'));
    await evaluate.locator('input[name=ways]').fill('3');
    await evaluate.locator('input[name=tasks]').fill('10');
    await shot('run-evaluate-form');
    await evaluate.getByRole('button', { name: 'Queue the evaluation' }).click();
    await evaluate.waitFor({ state: 'detached' });
    const evaluated = page.locator('tr[data-origin=evaluation]');
    await evaluated.waitFor({ timeout: 180_000 });
    expect(await evaluated.locator('td').nth(0).textContent()).toBe('evaluation');
    expect(await evaluated.locator('td').nth(2).textContent()).toBe(
      'glyphs 3-way 1-shot (meta-test, 10 tasks)',
    );
    expect(await evaluated.locator('.accuracy').textContent()).toMatch(/^\d+\.\d\d% ± \d+\.\d\d%$/);
    await shot('run-evaluated');

    await page.getByRole('link', { name: 'e2e MAML vs Meta-SGD' }).click();
    await metasgdRow.locator('[data-status=completed]').waitFor({ timeout: 180_000 });
    for (const row of [mamlRow, metasgdRow]) {
      expect(await row.locator('.accuracy').textContent()).toMatch(/\d+\.\d\d% ± \d+\.\d\d%/);
    }
    await shot('experiment-completed');

    // Duplicate opens the form with the experiment's settings, editable; nothing is created yet.
    await page.getByRole('button', { name: 'Duplicate…' }).click();
    await page.getByRole('heading', { name: 'New experiment' }).waitFor();
    await page.locator('[data-duplicating]').waitFor();
    await expect
      .poll(() => page.locator('input[name=name]').inputValue())
      .toBe('e2e MAML vs Meta-SGD (copy)');
    expect(await page.locator('input[name="learner-maml"]').isChecked()).toBe(true);
    expect(await page.locator('input[name="learner-metasgd"]').isChecked()).toBe(true);
    expect(await page.locator('input[name=iterations]').inputValue()).toBe('200');
    expect(await page.locator('input[name="model.filters"]').inputValue()).toBe('4');
    await page.locator('input[name=iterations]').fill('150');
    expect(await page.locator('input[name=iterations]').isEditable()).toBe(true);
    await shot('new-experiment-duplicate');
    await page.goBack();
    await page.getByRole('heading', { name: 'e2e MAML vs Meta-SGD' }).waitFor();

    // Compare selected: the checkboxes choose the runs.
    const compareSelected = page.getByRole('button', { name: /Compare selected/ });
    expect(await compareSelected.isDisabled()).toBe(true);
    await mamlRow.getByRole('checkbox').check();
    await metasgdRow.getByRole('checkbox').check();
    await expect.poll(() => compareSelected.textContent()).toContain('Compare selected (2)');
    expect(await compareSelected.isEnabled()).toBe(true);
    await compareSelected.click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    // One seed each: the page says the interval across seeds is not informative and leads with
    // the paired comparison; n is shown; † follows the paired test, and the note says so.
    await page.locator('[data-few-seeds]').waitFor();
    const pairedBox = (await page.locator('[data-section=paired]').boundingBox())!;
    const resultsBox = (await page.locator('[data-table=results]').boundingBox())!;
    expect(pairedBox.y).toBeLessThan(resultsBox.y);
    expect(await page.locator('[data-table=paired] tbody tr td').nth(0).textContent()).toBe('MAML');
    expect(await page.locator('[data-table=paired] tbody tr td').nth(1).textContent()).toBe('Meta-SGD');
    expect(await page.locator('[data-table=results] tbody td .n').first().textContent()).toBe('n=1');
    expect(await page.locator('[data-table-note]').textContent()).toContain(
      'the paired per-episode difference from the best includes 0',
    );
    expect(await page.locator('[data-band-note]').textContent()).toContain('n: MAML 1, Meta-SGD 1');
    // Focus moves to the page's heading on each route change; the skip link keeps the page.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('compare-title');
    const comparing = page.url();
    await page.keyboard.press('Tab');
    await page.getByRole('link', { name: 'Skip to content' }).focus();
    await page.keyboard.press('Enter');
    expect(page.url()).toBe(comparing);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // The dark theme: its charts' text and gridlines follow it (screenshot).
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goBack();
    await page.locator('[data-table=results]').waitFor();
    await shot('compare-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
    // Runs from any experiments, chosen on the compare page.
    await page.getByRole('link', { name: 'Compare', exact: true }).click();
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    const picker = page.locator('[data-table=picker]');
    await picker.waitFor();
    expect(await picker.locator('tbody tr').count()).toBe(2);
    // The run filter: by tag, then by an accuracy range no run is in.
    await page.getByRole('search', { name: 'Filter runs' }).getByLabel('Tag').selectOption('baseline');
    await expect.poll(() => picker.locator('tbody tr').count()).toBe(1);
    expect(await picker.locator('tbody tr td').nth(3).textContent()).toBe('maml');
    await page.getByLabel('Minimum accuracy (%)').fill('99.5');
    await page.locator('[data-table=picker]').waitFor({ state: 'detached' });
    await page.getByLabel('Minimum accuracy (%)').fill('');
    await page.getByRole('search', { name: 'Filter runs' }).getByLabel('Tag').selectOption('');
    await expect.poll(() => picker.locator('tbody tr').count()).toBe(2);
    for (const box of await picker.getByRole('checkbox').all()) await box.check();
    await page.getByRole('button', { name: 'Compare 2 run(s)' }).click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    await page.goto(experimentPage);
    await page.getByRole('heading', { name: 'e2e MAML vs Meta-SGD' }).waitFor();

    // Compare the two finished runs, and export the table and the charts.
    await page.getByRole('button', { name: 'Compare all runs' }).click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    const paired = page.locator('[data-table=paired] .difference');
    await paired.waitFor();
    expect(await paired.textContent()).toMatch(/-?\d+\.\d\d ± \d+\.\d\d points/);
    const results = page.locator('[data-table=results] tbody tr');
    expect(await results.count()).toBe(2);
    // A column per setting the runs were evaluated at: both meta-tests, and MAML's 3-way evaluation;
    // with a model evaluated at another shape, each row says the shape it was trained at.
    expect(await page.locator('[data-table=results] thead th').allTextContents()).toEqual([
      'Method',
      'glyphs 5-way 1-shot, 2 queries',
      'glyphs 3-way 1-shot, 2 queries',
    ]);
    expect(await results.locator('th, td:first-child').first().textContent()).toMatch(
      /^(MAML|Meta-SGD) · trained 5-way 1-shot, 2 queries/,
    );
    expect(await page.locator('[data-table=results] td.best').count()).toBe(2);
    expect(await results.filter({ hasText: 'Meta-SGD' }).locator('td').nth(2).textContent()).toBe('–');
    await page.locator('figure[aria-label^="validation accuracy"]').waitFor();
    // Hyperparameter views: any differing setting against any summary metric, and parallel coordinates.
    const scatter = page.locator('figure[aria-label="meta-test accuracy against Learner"]');
    expect(await scatter.getAttribute('data-points')).toBe('2');
    await page.locator('select[name=hp-y]').selectOption('best validation accuracy');
    expect(await page.locator('figure[aria-label^="Parallel coordinates"]').getAttribute('data-points')).toBe(
      '2',
    );
    await page.locator('[data-hyperparameters]').scrollIntoViewIfNeeded();
    await shot('compare');
    const csv = await downloaded('CSV');
    expect(csv.name).toBe('results.csv');
    expect(csv.body.toString()).toMatch(
      /^method,setting,accuracy_percent,ci95_percent,seeds,tasks,best,tie,published,interval_over,tie_rule,software,machines,tuned_on_validation_trials,search_space,chosen_values\n"(MAML|Meta-SGD) · trained 5-way 1-shot, 2 queries","glyphs 5-way 1-shot, 2 queries",\d+\.\d{4},/,
    );
    const md = await downloaded('Markdown');
    expect(md.name).toBe('results.md');
    expect(md.body.toString()).toMatch(
      /\| Method \| glyphs 5-way 1-shot, 2 queries \| glyphs 3-way 1-shot, 2 queries \|\n\| --- \| --- \| --- \|\n\| (MAML|Meta-SGD) · trained 5-way 1-shot, 2 queries \|/,
    );
    expect(md.body.toString()).toContain('**');
    const tex = await downloaded('LaTeX');
    expect(tex.name).toBe('results.tex');
    expect(tex.body.toString()).toMatch(
      /\\toprule[\s\S]*Meta-SGD \$\\cdot\$ trained 5-way 1-shot, 2 queries & \$[\s\S]*\\bottomrule/,
    );
    const charts = page.locator('figure[aria-label^="Meta-test accuracy"]');
    const png = await downloaded('PNG', charts);
    expect(png.name).toBe('meta-test.png');
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    const svg = await downloaded('SVG', charts);
    expect(svg.name).toBe('meta-test.svg');
    expect(svg.body.toString()).toMatch(/<svg[\s\S]*<\/svg>/);

    // More seeds reach every learner of the experiment. The queue runs one at a time, so the
    // second new run is still queued when cancelled: it has no data, and "Compare all" leaves it out.
    await page.goto(experimentPage);
    await page.locator('input[name=more-seeds]').fill('1');
    await page.getByRole('button', { name: 'Launch' }).click();
    await expect
      .poll(() => page.locator('[data-launched]').textContent())
      .toBe('Launched 2 run(s): MAML · seed 1, Meta-SGD · seed 1.');
    await expect.poll(() => page.locator('tr[data-learner]').count()).toBe(4);
    const newMetasgd = page.locator('tr[data-learner=metasgd]').first(); // newest first
    expect(await newMetasgd.locator('td').nth(headers.indexOf('Seed')).textContent()).toBe('1');
    expect(
      await page
        .locator('tr[data-learner=maml]')
        .first()
        .locator('td')
        .nth(headers.indexOf('Seed'))
        .textContent(),
    ).toBe('1');
    await newMetasgd.getByRole('link').click();
    // Queued behind the new MAML run: the page says where it is in line.
    expect(await page.locator('[data-queue-place]').textContent()).toBe('1 of 1 in the queue');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('h2 [data-status=cancelled]').waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'e2e MAML vs Meta-SGD' }).click();
    const newMaml = page.locator('tr[data-learner=maml]').first();
    await newMaml.getByRole('link').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('h2 [data-status=cancelled]').waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'e2e MAML vs Meta-SGD' }).click();
    const compareAll = page.getByRole('button', { name: /Compare all runs/ });
    await expect.poll(() => compareAll.textContent()).toMatch(/with data \([23]\)/);
    await shot('experiment-more-seeds');
    await compareAll.click();
    await page.getByRole('heading', { name: /Compare [23] runs/ }).waitFor();
    const metasgdGroup = page.locator('[data-table=groups] tbody tr').filter({ hasText: 'Meta-SGD' });
    expect(await metasgdGroup.locator('td').nth(2).textContent()).toBe('0'); // not its empty seed 1
    expect(await page.locator('[data-table=paired] tbody tr td').nth(0).textContent()).toBe('MAML');

    await page.getByRole('link', { name: 'Experiments', exact: true }).click();
    await page.getByRole('search').getByLabel('Search').fill('meta-sgd');
    await page.locator('[data-experiment="e2e MAML vs Meta-SGD"]').waitFor();
    await page.getByRole('search').getByLabel('Search').fill('no such experiment');
    await expect.poll(() => page.locator('[data-experiment]').count()).toBe(0);
    await page.getByRole('search').getByLabel('Search').fill('');
    await shot('experiments');

    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('button', { name: 'glyphs', exact: true }).click();
    await page.locator('article[data-dataset=glyphs] canvas').first().waitFor();
    // Class labels read "alphabet · character", the full name in the tooltip.
    const firstClass = page.locator('article[data-dataset=glyphs] .class-name').first();
    expect(await firstClass.textContent()).toMatch(/^\S+ · \S+$/);
    expect(await firstClass.getAttribute('title')).toContain('/');
    expect(await page.locator('article[data-dataset=glyphs] canvas').count()).toBe(72);
    expect(await page.locator('article[data-dataset=glyphs]').textContent()).toMatch(/900 \/ 120 \/ 180/);
    await shot('dataset');

    // Import an image folder (one corrupt file among them) from the UI.
    const folder = tempDir();
    for (let c = 0; c < 3; c++) {
      mkdirSync(resolve(folder, `class-${c}`));
      for (let i = 0; i < 4; i++)
        writeFileSync(resolve(folder, `class-${c}`, `${i}.png`), await markedPng(20, 20, c * 4 + i));
    }
    writeFileSync(resolve(folder, 'class-0', 'broken.png'), 'not a png');
    await page.getByText('Import a dataset').click();
    await page.locator('select[name=import-format]').selectOption('omniglot');
    await expectCheckboxBesideItsText(page.locator('input[name=import-rotations]'));
    await shot('dataset-import-omniglot');
    await page.locator('select[name=import-format]').selectOption('folder');
    // A failed import's error goes when the next import starts.
    await page.locator('input[name=import-name]').fill('tiny-folder');
    await page.locator('textarea[name=import-paths]').fill(`${folder}-missing`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'import failed' }).waitFor();
    await page.locator('textarea[name=import-paths]').fill(folder);
    await page.locator('input[name=import-size]').fill('16');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported tiny-folder' }).waitFor();
    expect(await page.getByRole('status').textContent()).toMatch(
      /3 classes, 12 images, 1 corrupt image\(s\) skipped/,
    );
    expect(await page.getByRole('alert').filter({ hasText: 'import failed' }).count()).toBe(0);
    // Importing under a name in use asks first; keeping it imports nothing.
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const replace = page.getByRole('alertdialog', { name: 'Replace the dataset?' });
    await replace.waitFor();
    expect(await replace.textContent()).toContain('A dataset named “tiny-folder” exists');
    await replace.getByRole('button', { name: 'Keep it' }).click();
    await replace.waitFor({ state: 'detached' });
    expect(await page.locator('.importing').count()).toBe(0);
    await page.getByRole('button', { name: 'tiny-folder', exact: true }).click();
    await page.locator('article[data-dataset=tiny-folder] canvas').first().waitFor();
    await shot('dataset-imported');

    // The main views in the dark theme, for the eye (test-results/screenshots/*-dark.png).
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    for (const [name, link] of [
      ['experiments', 'Experiments'],
      ['new-experiment', 'New experiment'],
      ['datasets', 'Datasets'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.locator('main h2').waitFor();
      await shot(`${name}-dark`);
    }
    await page.goto(experimentPage);
    await page.locator('tr[data-learner=maml]').last().getByRole('link').click();
    await page.locator('figure[aria-label="Loss"] canvas').waitFor();
    await shot('run-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
  }, 600_000);

  it('tells a preset’s runs apart by their cells, cancels and resumes them together, and deletes with a dialog', async () => {
    await page.goto(openUrl); // the token, as a user's first visit (this test may run alone)
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    const { experiment } = await call<{ experiment: { id: number } }>('experiments:create', {
      name: 'e2e cells',
      config: LONG_RUN,
      seeds: [0],
      variants: [
        { learner: 'maml', shots: 1 },
        { learner: 'maml', shots: 2 },
        { learner: 'metasgd', shots: 1 },
        { learner: 'metasgd', shots: 2 },
      ],
    });
    await page.goto(`${base}/#/experiments/${experiment.id}`);
    await page.getByRole('heading', { name: 'e2e cells' }).waitFor();
    const rows = page.locator('tr[data-run]');
    await expect.poll(() => rows.count()).toBe(4);
    expect((await page.locator('td[data-cell]').allTextContents()).sort()).toEqual([
      'MAML · Shots 1',
      'MAML · Shots 2',
      'Meta-SGD · Shots 1',
      'Meta-SGD · Shots 2',
    ]);
    // A run that never started says so in words, not with an empty bar (one trainer at a time:
    // at least three of the four wait their turn).
    await expect.poll(() => page.locator('[data-queued]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-queued]').first().textContent()).toBe('queued, not started');

    // Columns…: a setting and a metric added as columns, their cells filled, sortable, kept after a reload.
    await page.locator('[data-columns] summary').click();
    const addColumn = async (label: string) => {
      await page.locator('select[name=add-column]').selectOption({ label });
      await page.getByRole('button', { name: 'Add column' }).click();
    };
    await addColumn('Shots');
    await addColumn('Meta learning rate β');
    await addColumn('Validation accuracy');
    const shotsCells = page.locator('td[data-column="setting:shots"]');
    await expect
      .poll(async () => (await shotsCells.allTextContents()).map((t) => t.trim()).sort())
      .toEqual(['1', '1', '2', '2']);
    expect(
      (await page.locator('td[data-column="setting:metaLr"]').allTextContents()).map((t) => t.trim()),
    ).toEqual(['0.001', '0.001', '0.001', '0.001']);
    // No validation yet (every 1000 iterations): a dash, not a zero.
    expect(
      (await page.locator('td[data-column="metric:val/accuracy"]').allTextContents()).map((t) => t.trim()),
    ).toEqual(['–', '–', '–', '–']);
    await page.locator('button[data-sort="setting:shots"]').click();
    await page.locator('button[data-sort="setting:shots"]').click();
    expect((await shotsCells.allTextContents()).map((t) => t.trim())).toEqual(['2', '2', '1', '1']);
    expect(
      await page
        .locator('th', { has: page.locator('button[data-sort="setting:shots"]') })
        .getAttribute('aria-sort'),
    ).toBe('descending');
    await shot('experiment-columns');
    // The same page in the dark theme, for the eye (the theme's own switch is tested elsewhere).
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await shot('experiment-columns-dark');
    await page.evaluate(() => (document.documentElement.dataset.theme = 'light'));
    await page.reload();
    await expect.poll(() => shotsCells.count()).toBe(4);
    expect(
      await page
        .locator('th button[data-sort^="setting:"], th button[data-sort^="metric:"]')
        .allTextContents(),
    ).toEqual(['Shots', 'Meta learning rate β', 'Validation accuracy']);
    await page.locator('[data-columns] summary').click();
    await page.getByRole('button', { name: 'remove column Meta learning rate β' }).click();
    await page.getByRole('button', { name: 'remove column Validation accuracy' }).click();
    await expect.poll(() => page.locator('td[data-column="setting:metaLr"]').count()).toBe(0);
    await page.locator('[data-columns] summary').click();
    // Sorted by a click on a header: its cells in order, then reversed; the header says which.
    const cellHeader = page.locator('th', { has: page.locator('button[data-sort=name]') });
    await page.locator('button[data-sort=name]').click();
    expect(await page.locator('td[data-cell]').allTextContents()).toEqual([
      'MAML · Shots 1',
      'MAML · Shots 2',
      'Meta-SGD · Shots 1',
      'Meta-SGD · Shots 2',
    ]);
    expect(await cellHeader.getAttribute('aria-sort')).toBe('ascending');
    await page.locator('button[data-sort=name]').click();
    expect((await page.locator('td[data-cell]').allTextContents())[0]).toBe('Meta-SGD · Shots 2');
    expect(await cellHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await cellHeader.textContent()).toBe('Cell'); // the arrow is drawn, not read
    // The summary states only what the cells share: their shots differ.
    expect(await page.locator('[data-summary]').textContent()).toBe(
      '5-way shots by cell · pixels · data glyphs · 5000 iterations',
    );
    const cellRow = (cell: string) => rows.filter({ has: page.locator('td[data-cell]', { hasText: cell }) });
    await cellRow('Meta-SGD · Shots 2').getByRole('link').click();
    await page.getByRole('heading', { name: /^Run #\d+: Meta-SGD · Shots 2 · seed 0/ }).waitFor();
    await page.goBack();
    await expect.poll(() => rows.count()).toBe(4);

    // Every run ticked at once, cancelled at once; then resumed, and cancelled again.
    const cancelSelected = page.getByRole('button', { name: /^Cancel selected/ });
    expect(await cancelSelected.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'select every run' }).check();
    await expect.poll(() => cancelSelected.textContent()).toContain('Cancel selected (4)');
    await shot('experiment-cells-selected');
    await cancelSelected.click();
    const cancelled = page.locator('tr[data-run] [data-status=cancelled]');
    await expect.poll(() => cancelled.count(), { timeout: 90_000 }).toBe(4);
    const resumeSelected = page.getByRole('button', { name: 'Resume selected (4)' });
    await resumeSelected.waitFor();
    await shot('experiment-cells-cancelled');
    await resumeSelected.click();
    await page.locator('[data-bulk-done]').filter({ hasText: 'Resumed 4 run(s).' }).waitFor();
    expect(await cancelled.count()).toBe(0);
    await page.getByRole('button', { name: 'Cancel selected (4)' }).click();
    await page.locator('[data-bulk-done]').filter({ hasText: 'Cancel asked for 4 run(s).' }).waitFor();
    await expect.poll(() => cancelled.count(), { timeout: 90_000 }).toBe(4);
    // Tagged together: each run keeps its own tags and gains the new ones.
    await page.locator('input[name=bulk-tags]').fill('sweep-a, e2e');
    await page.getByRole('button', { name: 'Tag selected (4)' }).click();
    await page.locator('[data-bulk-done]').filter({ hasText: 'Tagged 4 run(s) “sweep-a”, “e2e”.' }).waitFor();
    const tagged = await call<Array<{ experimentId: number; tags: string[] }>>('runs:list', {
      experimentId: experiment.id,
    });
    expect(tagged.map((r) => [...r.tags].sort())).toEqual([
      ['e2e', 'sweep-a'],
      ['e2e', 'sweep-a'],
      ['e2e', 'sweep-a'],
      ['e2e', 'sweep-a'],
    ]);
    expect(await page.locator('input[name=bulk-tags]').inputValue()).toBe('');

    // Two runs deleted together: the dialog keeps the focus, Escape keeps them, Delete removes them.
    await page.getByRole('checkbox', { name: 'select every run' }).uncheck();
    const byCell = (cell: string) => rows.filter({ has: page.locator('td[data-cell]', { hasText: cell }) });
    const idOf = async (cell: string) => Number(await byCell(cell).getAttribute('data-run'));
    const [keep1, keep2, gone1, gone2] = [
      await idOf('MAML · Shots 1'),
      await idOf('Meta-SGD · Shots 1'),
      await idOf('MAML · Shots 2'),
      await idOf('Meta-SGD · Shots 2'),
    ];
    const shown = async () =>
      (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-run'))))).sort(
        (a, b) => a - b,
      );
    await byCell('MAML · Shots 2').getByRole('checkbox').check();
    await byCell('Meta-SGD · Shots 2').getByRole('checkbox').check();
    const deleteSelected = page.getByRole('button', { name: 'Delete selected (2)…' });
    await deleteSelected.click();
    const runsDialog = page.getByRole('dialog', {
      name: 'Delete 2 run(s), with their metrics, evaluations and checkpoints?',
    });
    await runsDialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog[open]'))).toBe(true);
    await page.keyboard.press('Escape');
    await runsDialog.waitFor({ state: 'hidden' });
    expect(await deleteSelected.evaluate((b) => b === document.activeElement)).toBe(true);
    expect(await rows.count()).toBe(4);
    await deleteSelected.click();
    await shot('experiment-delete-runs-dialog');
    await runsDialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('[data-bulk-done]').filter({ hasText: 'Deleted 2 run(s).' }).waitFor();
    await expect.poll(shown).toEqual([keep1, keep2].sort((a, b) => a - b));
    expect([gone1, gone2].some((id) => id === keep1 || id === keep2)).toBe(false);
    // One run deleted from its own page: back on the experiment's page, without it.
    await page.locator(`tr[data-run="${keep2}"]`).getByRole('link').click();
    await page.getByRole('heading', { name: new RegExp(`^Run #${keep2}:`) }).waitFor();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const runDialog = page.getByRole('dialog', {
      name: 'Delete this run, with its metrics, evaluations and checkpoints?',
    });
    await runDialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { name: 'e2e cells' }).waitFor();
    await expect.poll(shown).toEqual([keep1]);
    expect((await call<unknown[]>('runs:list', { experimentId: experiment.id })).length).toBe(1);

    // The experiments list: each column's header over its values.
    await page.getByRole('link', { name: 'Experiments', exact: true }).click();
    const listed = page.locator('[data-experiment="e2e cells"]');
    await listed.waitFor();
    for (const [column, value] of [
      ['name', '.name'],
      ['best', '[data-best]'],
      ['date', '.date'],
    ] as const) {
      const [header, cell] = await lefts(page.locator(`[data-column=${column}]`), listed.locator(value));
      expect(Math.abs(header - cell), `the ${column} column`).toBeLessThan(4);
    }

    // Delete… asks in a dialog that takes the focus; Escape closes it and gives the focus back.
    const deleteButton = listed.getByRole('button', { name: 'Delete…' });
    await deleteButton.click();
    const dialog = page.getByRole('dialog', { name: 'Delete “e2e cells” and its runs?' });
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog[open]'))).toBe(true);
    await shot('experiments-delete-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await deleteButton.evaluate((b) => b === document.activeElement)).toBe(true);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.getByRole('link', { name: 'Experiments', exact: true }).click();
    await listed.getByRole('button', { name: 'Delete…' }).click();
    await dialog.waitFor();
    await shot('experiments-delete-dialog-dark');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await listed.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
  }, 300_000);

  it('shows a meta-test episode: support images per class, each query’s prediction, the mistakes marked, step by step', async () => {
    await page.goto(openUrl);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    const { runs } = await call<{ runs: Array<{ id: number }> }>('experiments:create', {
      name: 'e2e episodes',
      config: {
        data: 'glyphs',
        learner: 'maml',
        ways: 5,
        shots: 2,
        queries: 3,
        metaBatch: 1,
        iterations: 20,
        evalTasks: 8,
        valEvery: 0,
        checkpointEvery: 10,
        backend: 'wasm',
        model: { filters: 4 },
      },
    });
    const id = runs[0]!.id;
    type Detail = {
      status: string;
      evaluations: Array<{ split: string; origin: string; accuracies: number[] }>;
    };
    await expect
      .poll(async () => (await call<Detail>('runs:get', id)).status, { timeout: 150_000, interval: 500 })
      .toBe('completed');
    const test = (await call<Detail>('runs:get', id)).evaluations.find(
      (e) => e.split === 'test' && e.origin === 'training',
    )!;
    await page.goto(`${base}/#/runs/${id}`);
    await page.locator('[data-episodes-link]').click();
    await page.getByRole('heading', { name: new RegExp(`Run #${id}: .* · meta-test episode 1$`) }).waitFor();
    const summary = page.locator('[data-episode-summary]');
    await summary.waitFor();
    // 5 classes × 2 support images, each class on its row; 5 × 3 queries, each with its verdict.
    expect(await page.locator('canvas[data-support-image]').count()).toBe(10);
    expect(await page.locator('[data-class]').count()).toBe(5);
    expect(await page.locator('[data-class="0"] canvas').count()).toBe(2);
    const queries = page.locator('[data-query]');
    expect(await queries.count()).toBe(15);
    expect(await queries.first().textContent()).toMatch(/class \d, \d+%/);
    // The marked mistakes are the ones the run's meta-test counted on this episode.
    const checkEpisode = async (index: number) => {
      const mistakes = await page.locator('[data-mistake]').count();
      expect(mistakes).toBe(Math.round(15 * (1 - test.accuracies[index]!)));
      expect(await summary.textContent()).toContain(`${15 - mistakes} of 15 right`);
      for (const m of await page.locator('[data-mistake]').all())
        expect(await m.textContent()).toMatch(/is class \d/);
    };
    await checkEpisode(0);
    expect(await summary.textContent()).toContain('5-way 2-shot, 15 queries · checkpoint of iteration 20');
    await shot('episode-viewer');
    // Next: the second episode, in the address too; the focus stays on the button.
    const first = await page.locator('canvas[data-support-image]').first().getAttribute('aria-label');
    expect(first).toBe('support image 1 of class 1');
    const firstPixels = await page
      .locator('canvas[data-support-image]')
      .first()
      .evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByRole('heading', { name: /meta-test episode 2$/ }).waitFor();
    await expect.poll(() => page.url()).toBe(`${base}/#/runs/${id}/episodes/2`);
    await expect
      .poll(
        () =>
          page
            .locator('canvas[data-support-image]')
            .first()
            .evaluate((c) => (c as HTMLCanvasElement).toDataURL()),
        { timeout: 60_000 },
      )
      .not.toBe(firstPixels);
    await page.locator('[data-loading]').waitFor({ state: 'detached' });
    await checkEpisode(1);
    expect(
      await page.getByRole('button', { name: 'Next →' }).evaluate((b) => b === document.activeElement),
    ).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('heading', { name: /meta-test episode 1$/ }).waitFor();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goto(`${base}/#/runs/${id}/episodes/8`);
    await page.getByRole('heading', { name: /meta-test episode 8$/ }).waitFor();
    await page.locator('[data-loading]').waitFor({ state: 'detached' });
    await checkEpisode(7);
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await shot('episode-viewer-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
  }, 300_000);

  it('shows a MANN’s episode as its sequence: each step’s presentation number and prediction, the mistakes marked, the accuracy by presentation', async () => {
    await page.goto(openUrl);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    // One sequence a task, so the sequence shown is the whole task the meta-test scored.
    const { runs } = await call<{ runs: Array<{ id: number }> }>('experiments:create', {
      name: 'e2e mann episodes',
      config: {
        data: 'glyphs',
        learner: 'mann',
        ways: 5,
        metaBatch: 1,
        iterations: 20,
        evalTasks: 4,
        valEvery: 0,
        checkpointEvery: 10,
        backend: 'wasm',
        mann: { instances: 3, memorySlots: 16, slotSize: 8, readHeads: 1, controllerSize: 16, batch: 1 },
      },
    });
    const id = runs[0]!.id;
    type Detail = {
      status: string;
      evaluations: Array<{ split: string; origin: string; accuracies: number[] }>;
    };
    await expect
      .poll(async () => (await call<Detail>('runs:get', id)).status, { timeout: 150_000, interval: 500 })
      .toBe('completed');
    const test = (await call<Detail>('runs:get', id)).evaluations.find(
      (e) => e.split === 'test' && e.origin === 'training',
    )!;
    await page.goto(`${base}/#/runs/${id}`);
    await page.locator('[data-episodes-link]').click();
    await page.getByRole('heading', { name: new RegExp(`Run #${id}: .* · meta-test episode 1$`) }).waitFor();
    const summary = page.locator('[data-episode-summary]');
    await summary.waitFor();
    expect(await page.locator('[data-sequence-help]').textContent()).toMatch(
      /1st presentation it cannot know the label yet.*accuracy at the 2nd presentation/s,
    );
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    const checkEpisode = async (index: number) => {
      expect(await summary.textContent()).toMatch(
        /5-way sequences, each label shown 3 times · the task's one sequence · checkpoint of iteration 20/,
      );
      // The task's figure is the one the run's meta-test counted for this episode.
      expect(await summary.textContent()).toContain(
        `2nd-presentation accuracy of this task: ${pct(test.accuracies[index]!)}`,
      );
      // 5 labels × 3 presentations, in the order shown; each step says which presentation it is.
      const steps = page.locator('[data-step]');
      expect(await steps.count()).toBe(15);
      for (const [p, name] of ['1st', '2nd', '3rd'].entries()) {
        expect(await page.locator(`[data-step][data-presentation="${p + 1}"]`).count()).toBe(5);
        const numbers = await page
          .locator(`[data-step][data-presentation="${p + 1}"] [data-presentation-number]`)
          .allTextContents();
        expect(numbers.map((n) => n.trim())).toEqual(new Array(5).fill(name));
      }
      for (const s of await steps.all()) expect(await s.textContent()).toMatch(/label \d, \d+%/);
      // Each mistake marked with its true label, in a red frame; per presentation, the marks are
      // what the accuracy-by-presentation row says (its 2nd: the meta-test's figure).
      for (const m of await page.locator('[data-step][data-mistake]').all()) {
        expect(await m.textContent()).toMatch(/is label \d/);
        const [frame, bad] = await m.evaluate((el) => {
          const probe = document.createElement('span');
          probe.style.color = getComputedStyle(el).getPropertyValue('--bad');
          document.body.append(probe);
          const colour = getComputedStyle(probe).color;
          probe.remove();
          return [getComputedStyle(el).borderTopColor, colour];
        });
        expect(frame).toBe(bad);
      }
      const row = (await page.locator('[data-by-presentation] tbody td').allTextContents()).map((t) =>
        t.trim(),
      );
      const marked = await Promise.all(
        [1, 2, 3].map((p) => page.locator(`[data-step][data-presentation="${p}"][data-mistake]`).count()),
      );
      expect(row).toEqual(marked.map((m) => pct((5 - m) / 5)));
      expect(row[1]).toBe(pct(test.accuracies[index]!));
    };
    await checkEpisode(0);
    await shot('episode-viewer-mann');
    const firstPixels = await page
      .locator('[data-step] canvas')
      .first()
      .evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByRole('heading', { name: /meta-test episode 2$/ }).waitFor();
    await expect.poll(() => page.url()).toBe(`${base}/#/runs/${id}/episodes/2`);
    await expect
      .poll(
        () =>
          page
            .locator('[data-step] canvas')
            .first()
            .evaluate((c) => (c as HTMLCanvasElement).toDataURL()),
        { timeout: 60_000 },
      )
      .not.toBe(firstPixels);
    await page.locator('[data-loading]').waitFor({ state: 'detached' });
    await checkEpisode(1);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goto(`${base}/#/runs/${id}/episodes/4`);
    await page.getByRole('heading', { name: /meta-test episode 4$/ }).waitFor();
    await page.locator('[data-loading]').waitFor({ state: 'detached' });
    await checkEpisode(3);
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await shot('episode-viewer-mann-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
  }, 300_000);

  it('fetches again what changed while its event stream was down: a run cancelled meanwhile reads cancelled, with no reload', async () => {
    // A page of its own, whose first event stream is open to it but joined to nothing (events
    // sent on it are lost, as while a page loads or the network blinks); the next one is real.
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    other.setDefaultTimeout(60_000);
    let dead: WebSocketRoute | null = null;
    await other.routeWebSocket(/\/events$/, (ws) => {
      if (dead == null) dead = ws;
      else ws.connectToServer();
    });
    try {
      const { experiment, runs } = await call<{ experiment: { id: number }; runs: Array<{ id: number }> }>(
        'experiments:create',
        {
          name: 'e2e stream down',
          config: LONG_RUN,
        },
      );
      const id = runs[0]!.id;
      await other.goto(openUrl);
      await other.goto(`${base}/#/experiments/${experiment.id}`);
      const status = other.locator(`tr[data-run="${id}"] [data-status]`);
      await status.waitFor();
      expect(['queued', 'running']).toContain(await status.getAttribute('data-status'));
      await call('runs:cancel', id);
      await expect
        .poll(
          async () =>
            (await call<Array<{ id: number; status: string }>>('runs:list')).find((r) => r.id === id)?.status,
          {
            timeout: 60_000,
          },
        )
        .toBe('cancelled');
      // The status event went down the dead stream: the page cannot know yet.
      await other.waitForTimeout(1000);
      expect(await status.getAttribute('data-status')).not.toBe('cancelled');
      // The stream drops; the page connects again, and fetches what it shows.
      await dead!.close();
      await other.locator(`tr[data-run="${id}"] [data-status=cancelled]`).waitFor({ timeout: 30_000 });
    } finally {
      await other.close();
    }
  }, 180_000);

  it('says why a Slurm submission failed, offers no checkpoint that does not exist, and runs it again elsewhere', async () => {
    if (!haveSlurm('a partition that does not exist is refused at submission')) return;
    await page.goto(openUrl);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    const { experiment } = await call<{ experiment: { id: number } }>('experiments:create', {
      name: 'e2e nowhere',
      config: {
        data: 'glyphs',
        queries: 2,
        metaBatch: 1,
        iterations: 20,
        evalTasks: 10,
        valEvery: 10,
        checkpointEvery: 10,
        backend: 'wasm',
        model: { filters: 4 },
      },
      executor: { kind: 'slurm', slurm: { partition: 'nosuchpartition' } },
    });
    await page.goto(`${base}/#/experiments/${experiment.id}`);
    const row = page.locator('tr[data-run]').first();
    await row.locator('[data-status=failed]').waitFor({ timeout: 60_000 });
    // The reason, in short on the row and in full as its tooltip.
    expect(await row.locator('[data-reason]').textContent()).toMatch(/invalid partition specified/);
    expect(await row.locator('td[title]').getAttribute('title')).toMatch(
      /^could not submit the run to Slurm: sbatch failed: invalid partition specified: nosuchpartition/,
    );
    await shot('experiment-slurm-failed');
    await row.getByRole('link').click();
    await page.locator('[data-run-error]').filter({ hasText: 'invalid partition specified' }).waitFor();
    // No checkpoint: nothing to resume from, only to run again (from scratch).
    expect(await page.locator('select[name=resume-from]').count()).toBe(0);
    expect(await page.getByText('from the newest checkpoint').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resume', exact: true }).count()).toBe(0);
    const again = page.getByRole('button', { name: 'Run again' });
    await again.waitFor();
    // Not to the same partition: elsewhere, here this machine.
    await page.locator('select[name=resume-where]').selectOption('elsewhere');
    const where = page.locator('[data-resume-where]');
    expect(await where.locator('input[name=slurm-partition]').inputValue()).toBe('nosuchpartition');
    await shot('run-slurm-failed');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goBack();
    await page.locator('select[name=resume-where]').selectOption('elsewhere');
    await shot('run-slurm-failed-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
    await page.goBack();
    await page.locator('select[name=resume-where]').selectOption('elsewhere');
    await where.locator('select[name=executor]').selectOption('local');
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.locator('h2 [data-status=completed]').waitFor({ timeout: 180_000 });
    expect(await page.locator('[data-slurm]').count()).toBe(0);
    expect(await page.locator('[data-run-error]').count()).toBe(0);
  }, 300_000);

  it('compares runs of two experiments at 1440×900: short names by label, nothing wider than the window', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    // Desktop notifications, recorded instead of shown (the browser's permission granted).
    await page.addInitScript(() => {
      const w = window as unknown as { __notes: Array<{ title: string; body?: string }> };
      w.__notes = [];
      class Recorded {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, options?: { body?: string }) {
          w.__notes.push({ title, body: options?.body });
        }
      }
      (window as unknown as { Notification: unknown }).Notification = Recorded;
    });
    await page.goto(openUrl); // the token, as a user's first visit (this test may run alone)
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=notify]').check();
    await expect.poll(() => page.locator('input[name=notify]').isChecked()).toBe(true);
    // Compare in the top bar with nothing chosen: no call to compare, no red error, a sentence.
    await page.getByRole('link', { name: 'Compare', exact: true }).click();
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    await page.locator('[data-choose-runs]').waitFor();
    await page.locator('[data-table=picker], .picker p.meta').first().waitFor();
    expect(await page.locator('[data-choose-runs]').textContent()).toMatch(/Choose the runs to compare/);
    expect(await page.locator('.error, [role=alert]').count()).toBe(0);
    await shot('compare-empty');

    // A "MAML vs Meta-SGD" experiment in pixels, and a frozen and a joint concept-space run of
    // another, with other iterations and test tasks: many settings differ between them.
    const tiny = {
      data: 'glyphs',
      ways: 5,
      queries: 2,
      metaBatch: 1,
      iterations: 20,
      evalTasks: 10,
      valEvery: 10,
      checkpointEvery: 10,
      model: { filters: 4 },
    };
    const made = (await Promise.all([
      call('experiments:create', {
        name: 'e2e wide MAML vs Meta-SGD',
        config: tiny,
        learners: ['maml', 'metasgd'],
      }),
      call('experiments:create', {
        name: 'e2e wide concept',
        config: {
          ...tiny,
          iterations: 30,
          evalTasks: 12,
          space: 'concept',
          concept: { externalBatch: 8, pretrainIterations: 2, generator: { width: 4 } },
        },
        variants: [{ concept: { generatorMode: 'frozen' } }, { concept: { generatorMode: 'joint' } }],
      }),
    ])) as Array<{ runs: Array<{ id: number }> }>;
    const ids = made.flatMap((m) => m.runs.map((r) => r.id));
    expect(ids).toHaveLength(4);
    await expect
      .poll(
        async () => {
          const runs = (await call('runs:list')) as Array<{ id: number; status: string }>;
          return runs.filter((r) => ids.includes(r.id)).map((r) => r.status);
        },
        { timeout: 240_000, interval: 2000 },
      )
      .toEqual(['completed', 'completed', 'completed', 'completed']);
    // One notice per run, and one per experiment once its last run ended.
    const notes = () =>
      page.evaluate(
        () => (window as unknown as { __notes: Array<{ title: string; body?: string }> }).__notes,
      );
    await expect
      .poll(async () => (await notes()).map((n) => n.title))
      .toEqual(
        expect.arrayContaining([
          'Experiment “e2e wide MAML vs Meta-SGD” finished',
          'Experiment “e2e wide concept” finished',
          `Run #${ids[0]}: MAML, seed 0 finished`,
        ]),
      );
    expect((await notes()).find((n) => n.title.startsWith(`Run #${ids[0]}:`))!.body).toMatch(
      /^meta-test \d+\.\d\d% ± \d+\.\d\d%$/,
    );

    // The two pixel runs evaluated together at another N, from their experiment's page.
    const pixelsExperiment = (made[0] as unknown as { experiment: { id: number } }).experiment.id;
    await page.goto(`${base}/#/experiments/${pixelsExperiment}`);
    await page.getByRole('heading', { name: 'e2e wide MAML vs Meta-SGD' }).waitFor();
    await page.getByRole('checkbox', { name: 'select every run' }).check();
    await page.locator('input[name=bulk-ways]').fill('3');
    await page.locator('input[name=bulk-tasks]').fill('5');
    await page.getByRole('button', { name: 'Evaluate selected (2)' }).click();
    await page
      .locator('[data-bulk-done]')
      .filter({ hasText: 'Asked for 2 evaluation(s) at 3-way 1-shot over 5 tasks' })
      .waitFor();
    await shot('experiment-bulk-evaluate');
    for (const id of ids.slice(0, 2)) {
      await expect
        .poll(
          async () => {
            const run = (await call('runs:get', id)) as {
              evaluations: Array<{ ways: number; tasks: number }>;
            };
            return run.evaluations.some((e) => e.ways === 3 && e.tasks === 5);
          },
          { timeout: 120_000, interval: 1000 },
        )
        .toBe(true);
    }
    await page.goto(`${base}/#/compare`);
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();

    // Choose them in the picker, as a user does.
    await page.reload();
    const picker = page.locator('[data-table=picker]');
    await picker.waitFor();
    for (const id of ids) await picker.locator(`input[type=checkbox][value="${id}"]`).check();
    await page.getByRole('button', { name: 'Compare 4 run(s)' }).click();
    await page.getByRole('heading', { name: 'Compare 4 runs' }).waitFor();
    await page.locator('[data-table=groups] tbody tr').first().waitFor();
    await page.locator('figure[aria-label^="Meta-test accuracy"] canvas').waitFor();
    // Names by the settings' labels, short; each group's settings in full in its tooltip.
    const names = await page.locator('[data-table=groups] tbody td:first-child').allTextContents();
    expect(names).toHaveLength(4);
    for (const name of names) expect(name).not.toMatch(/[a-z]\.[a-z]|=/i);
    expect(names).toContain('MAML · concept space · Generator training frozen');
    expect(names).toContain('Meta-SGD · pixels');
    expect(
      await page
        .locator('[data-table=groups] tbody td:first-child', { hasText: 'frozen' })
        .getAttribute('title'),
    ).toMatch(/Generator training: frozen; .*Iterations: 30/);
    expect(await page.locator('[data-table=groups] thead th').allTextContents()).toContain(
      'Generator training',
    );
    // The learner by its name, as in the group names.
    const learners = page.locator('[data-table=groups] tbody tr td:nth-child(2)');
    expect((await learners.allTextContents()).map((t) => t.trim())).toContain('Meta-SGD');
    expect(await page.locator('.error, [role=alert]').count()).toBe(0);
    // Nothing makes the page wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
    // The curves' title says what is drawn: seeds on their own are not a "mean of seeds".
    await page.locator('figure[aria-label^="validation accuracy (mean of seeds"]').waitFor();
    await page.locator('input[name=group-seeds]').uncheck();
    await page.locator('figure[aria-label="validation accuracy (each seed)"]').waitFor();
    expect(await page.locator('figure[aria-label*="mean of seeds"]').count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
    await shot('compare-experiments-seeds');
    await page.locator('input[name=group-seeds]').check();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
    // An exported chart's title stands alone: it says what is drawn, and nothing "as below".
    const curves = page.locator('figure[aria-label^="validation accuracy"]');
    const exported = (await downloaded('SVG', curves)).body.toString();
    expect(exported).toContain('validation accuracy (mean of seeds)');
    expect(exported).not.toContain('below');
    // The exported PNG, for the eye: its title above the plot, the legend under it.
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      curves.getByRole('button', { name: 'PNG' }).click(),
    ]);
    await png.saveAs(resolve(SHOTS, 'compare-experiments-curves-export.png'));
    // The settings of any two of the runs, side by side, by label.
    const diff = page.locator('[data-config-diff]');
    await diff.locator('select[name=diff-a]').selectOption(String(ids[0]));
    await diff.locator('select[name=diff-b]').selectOption(String(ids[2]));
    const row = (label: string) =>
      diff.locator('[data-table=config-diff] tbody tr', {
        has: page.locator(`td:first-child:text-is("${label}")`),
      });
    expect(await row('Space').locator('td').allTextContents()).toEqual(['Space', 'pixels', 'concept']);
    expect(await row('Generator training').locator('td').allTextContents()).toEqual([
      'Generator training',
      'not used',
      'frozen',
    ]);
    expect(await row('Iterations').locator('td').allTextContents()).toEqual(['Iterations', '20', '30']);
    // Group (and colour) by any one setting: its values name the groups, the rest pooled.
    await page.locator('select[name=group-by]').selectOption({ label: 'Generator training' });
    await expect
      .poll(async () =>
        (await page.locator('[data-table=groups] tbody td:first-child').allTextContents()).sort(),
      )
      .toEqual(['Generator training frozen', 'Generator training joint', 'Generator training not used']);
    await page.locator('select[name=group-by]').selectOption('');
    await expect.poll(() => page.locator('[data-table=groups] tbody tr').count()).toBe(4);
    // The curves' x axis as tasks seen: the axis says so, in the chart and in its export.
    await page.locator('select[name=x-axis]').selectOption('tasks');
    const byTasks = (await downloaded('SVG', curves)).body.toString();
    expect(byTasks).toContain('tasks seen');
    expect(byTasks).not.toContain('>iteration<');
    await page.locator('select[name=x-axis]').selectOption('iteration');
    // One seed per cell: every interval is over the tasks, and the note says so.
    expect(await page.locator('[data-table-note]').textContent()).toMatch(
      /intervals \(Student's t\) over the column's meta-test episodes, the cell's seeds pooled \(n = 1 seed/,
    );
    await shot('compare-experiments');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goBack();
    await page.locator('figure[aria-label^="Meta-test accuracy"] canvas').waitFor();
    await shot('compare-experiments-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 420_000);

  it('sends an experiment to a Slurm cluster from the form, and the run page shows its job', async () => {
    await page.goto(openUrl); // the token, as a user's first visit (this test may run alone)
    await page.getByRole('link', { name: 'New experiment' }).click();
    await page.getByRole('heading', { name: 'New experiment' }).waitFor();
    await page.getByRole('button', { name: 'Clear the form' }).click();
    const where = page.locator('[data-executor]');
    await where.locator('select[name=executor]').selectOption('slurm');
    await where.locator('[data-slurm-options]').waitFor();
    // Slurm's options are checked as they are typed, with the service's schema.
    await where.locator('input[name=slurm-time]').fill('tomorrow');
    await expect
      .poll(() => where.locator('input[name=slurm-time] + .issue').textContent())
      .toBe('a Slurm time such as 30, 04:00:00 or 2-00:00:00');
    await expect.poll(() => page.getByRole('button', { name: /Create and launch/ }).isDisabled()).toBe(true);
    await where.locator('input[name=slurm-time]').fill('10');
    await where.locator('textarea[name=slurm-extra]').fill('--comment=e2e');
    await expect.poll(() => where.locator('.issue').count()).toBe(0);
    await page.locator('input[name=name]').fill('e2e on the cluster');
    await page.locator('select[name=data]').selectOption('glyphs');
    const tiny: Record<string, string> = {
      queries: '2',
      metaBatch: '1',
      iterations: '20',
      evalTasks: '10',
      valEvery: '10',
      checkpointEvery: '10',
      'model.filters': '4',
    };
    for (const [name, value] of Object.entries(tiny)) await page.locator(`input[name="${name}"]`).fill(value);
    await shot('new-experiment-slurm');
    if (!haveSlurm('the run is sent to the cluster')) return;
    await page.getByRole('button', { name: 'Create and launch 1 run(s)' }).click();
    await page.locator('tr[data-learner=maml]').first().getByRole('link').click();
    const job = page.locator('[data-slurm]');
    await expect
      .poll(() => job.textContent(), { timeout: 120_000 })
      .toMatch(/Executor: slurm \(time 10, --comment=e2e\)\.\s+Slurm job \d+: COMPLETED on \S+\./);
    await expect.poll(() => page.locator('[data-status]').first().textContent()).toMatch(/completed/);
    await shot('run-slurm');
  }, 240_000);
  it('tunes MAML in a sweep made with the form: trials by their searched values, curves, rungs, brushing, the choice and its comparison', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(openUrl); // the token, as a user's first visit (this test may run alone)
    await page.evaluate(() => localStorage.setItem('deml.theme', 'light'));
    await page.getByRole('link', { name: 'Sweeps' }).click();
    await page.getByRole('heading', { name: 'Sweeps' }).waitFor();
    await page.getByRole('button', { name: 'New sweep' }).click();
    await page.getByRole('heading', { name: 'New sweep' }).waitFor();
    await page.getByRole('button', { name: 'Clear the form' }).click();
    expect(await page.locator('input[name=form-mode][value=sweep]').isChecked()).toBe(true);
    const tinySweepConfig = {
      data: 'glyphs',
      ways: 5,
      queries: 2,
      metaBatch: 1,
      evalTasks: 10,
      valTasks: 10,
      model: { filters: 4 },
      backend: 'wasm',
    };
    await page.locator('input[name=name]').fill('e2e sweep');
    await page.locator('select[name=data]').selectOption('glyphs');
    await page.locator('[data-executor] select[name=backend]').selectOption('wasm');
    const tiny: Record<string, string> = {
      ways: '5',
      queries: '2',
      metaBatch: '1',
      iterations: '20',
      evalTasks: '10',
      valEvery: '10',
      valTasks: '10',
      checkpointEvery: '10',
      'model.filters': '4',
    };
    for (const [name, value] of Object.entries(tiny)) await page.locator(`input[name="${name}"]`).fill(value);
    // The space's row, checked as the service would: a log range from 0 is refused by the setting's label.
    expect(await page.locator('select[name=space-0-setting]').inputValue()).toBe('innerLr');
    await page.locator('select[name=space-0-kind]').selectOption('log');
    await page.locator('input[name=space-0-min]').fill('0');
    await page.locator('input[name=space-0-max]').fill('1');
    const start = page.getByRole('button', { name: 'Create and start the sweep' });
    await expect
      .poll(() => page.locator('[data-space-issue="0"]').textContent())
      .toBe('Inner learning rate α: a log range needs LOW > 0');
    expect(await start.isDisabled()).toBe(true);
    await page.locator('input[name=space-0-min]').fill('0.01');
    await page.locator('input[name=space-0-steps]').fill('2');
    await page.locator('select[name=sweep-method]').selectOption('grid');
    await page.locator('input[name=sweep-trials]').fill('2');
    await page.locator('input[name=sweep-rungs]').fill('1/2');
    await page.locator('input[name=sweep-final-seeds]').fill('1');
    await expect.poll(() => page.locator('[data-space-issue]').count()).toBe(0);
    await expect.poll(() => start.isEnabled()).toBe(true);
    await shot('sweep-form');
    // The form survives a reload (the draft), here into the dark theme.
    await page.evaluate(() => localStorage.setItem('deml.theme', 'dark'));
    await page.reload();
    await page.getByRole('heading', { name: 'New sweep' }).waitFor();
    expect(await page.locator('input[name=sweep-rungs]').inputValue()).toBe('1/2');
    await shot('sweep-form-dark');
    await page.evaluate(() => localStorage.setItem('deml.theme', 'light'));
    await page.reload();
    await page.getByRole('heading', { name: 'New sweep' }).waitFor();
    // The searched setting's own field says the trials do not take its value.
    expect(await page.locator('label:has(input[name=innerLr]) .help').textContent()).toMatch(
      /searched by the sweep/,
    );
    // The backend is Settings' unless changed here (not kept with the draft).
    await page.locator('[data-executor] select[name=backend]').selectOption('wasm');
    // A refusal only the service makes shows under the field it names, until that field changes.
    await page.locator('input[name=valEvery]').fill('7');
    await start.click();
    const valEveryIssue = page.locator('label:has(input[name=valEvery]) .issue');
    await expect
      .poll(() => valEveryIssue.textContent())
      .toMatch(
        /a sweep compares its trials at their last validation: Iterations \(20\) must be a multiple of it/,
      );
    await page.locator('input[name=valEvery]').fill('10');
    await expect.poll(() => valEveryIssue.count()).toBe(0);
    await start.click();

    await page.getByRole('heading', { name: /^Sweep #\d+: e2e sweep/ }).waitFor();
    const sweepId = Number(/#\/sweeps\/(\d+)/.exec(page.url())![1]);
    expect(await page.locator('[data-sweep-space]').textContent()).toContain(
      'Inner learning rate α ∈ log[0.01, 1]',
    );
    expect(await page.locator('[data-sweep-rungs]').textContent()).toContain(
      'Successive halving at 1/2 (iteration 10',
    );
    const trials = page.locator('[data-table=trials]');
    await trials.locator('tbody tr').first().waitFor();
    await shot('sweep-page-running');
    // Trials are never meta-tested: no column says otherwise, while it runs or after.
    const headers = async () => (await trials.locator('thead th').allTextContents()).map((t) => t.trim());
    expect(await headers()).toEqual([
      'Learner',
      'Trial',
      'Inner learning rate α',
      'Validation accuracy',
      'Status',
      'Run',
    ]);
    await expect
      .poll(() => page.locator('h2 [data-status]').getAttribute('data-status'), {
        timeout: 240_000,
        interval: 1000,
      })
      .toBe('completed');
    expect((await headers()).some((h) => /test/i.test(h))).toBe(false);
    const rows = trials.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const values = (await trials.locator('td[data-setting=innerLr]').allTextContents()).map((t) => t.trim());
    expect(values.sort()).toEqual(['0.01', '1']);
    for (const status of await trials.locator('td[data-column=status]').allTextContents())
      expect(status.trim()).toMatch(/^(completed|failed|stopped early at rung 1)/);
    for (const v of await trials.locator('td[data-column=validation]').allTextContents())
      expect(v.trim()).toMatch(/^(\d+\.\d\d% ± \d+\.\d\d%|–)/);
    // The charts: the curves, the rung chart, the parallel coordinates with a line per trial.
    await page.locator('figure[aria-label="Validation accuracy of each trial"] canvas').waitFor();
    await page.locator('figure[aria-label^="Successive halving"] canvas').waitFor();
    const parallel = page.locator('[data-sweep-parallel]');
    await parallel.locator('canvas').waitFor();
    await expect.poll(() => parallel.getAttribute('data-lines')).toBe('2');
    // Brushing the top of the learning rate's (log) axis keeps the trial at 1, and only it.
    await parallel.locator('canvas').first().scrollIntoViewIfNeeded();
    const box = (await parallel.locator('canvas').first().boundingBox())!;
    const axisX = box.x + 60;
    await page.mouse.move(axisX, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(axisX, box.y + 40 + (box.height - 78) / 2, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => rows.count()).toBe(1);
    expect((await trials.locator('td[data-setting=innerLr]').textContent())!.trim()).toBe('1');
    await page.locator('[data-brushed]').getByRole('button', { name: 'Show every trial' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    // The choice, and the comparison of the final run (fresh seed, meta-tested) to cite.
    const chosen = page.locator('[data-table=chosen] tr[data-learner=maml] td[data-setting=innerLr]');
    expect(['0.01', '1']).toContain((await chosen.textContent())!.trim());
    await shot('sweep-page');
    await page.evaluate(() => localStorage.setItem('deml.theme', 'dark'));
    await page.reload();
    await page.locator('[data-sweep-parallel] canvas').waitFor();
    await shot('sweep-page-dark');
    await page.evaluate(() => localStorage.setItem('deml.theme', 'light'));
    await page.reload();
    await page.locator('[data-sweep-parallel] canvas').waitFor();

    // The list: its status, phase, trials ended of all, learners.
    await page.getByRole('link', { name: 'Sweeps' }).click();
    const listed = page.locator(`[data-table=sweeps] tr[data-sweep="${sweepId}"]`);
    await listed.waitFor();
    expect(await listed.locator('td[data-column=status]').textContent()).toContain('completed');
    expect((await listed.locator('td[data-column=phase]').textContent())!.trim()).toBe('done');
    expect((await listed.locator('td[data-column=trials]').textContent())!.trim()).toBe('2 / 2');
    expect((await listed.locator('td[data-column=learners]').textContent())!.trim()).toBe('MAML');
    await shot('sweeps');
    await page.goBack();

    // A trial's run page says what it is to the sweep.
    const trialHref = (await rows.first().getByRole('link').getAttribute('href'))!;
    await page.goto(`${base}/${trialHref}`);
    await expect
      .poll(() => page.locator('[data-sweep-note]').textContent())
      .toMatch(new RegExp(`^\\s*Trial [12] of\\s+sweep ${sweepId}: compared on meta-validation only\\.`));
    await page.goBack();
    await page.locator('[data-compare-finals]').click();
    await page.getByRole('heading', { name: 'Compare 1 run', exact: true }).waitFor();
    const tuned = page.locator('[data-table=results] [data-tuned]');
    await tuned.first().waitFor();
    expect(await tuned.first().textContent()).toBe('§');
    expect(await page.locator('[data-table=results]').textContent()).toContain(
      'tuned on validation (2 trials)',
    );
    // And the final run's page, that it trained the choice on a fresh seed.
    const detail = await call<{ finals: Array<{ id: number }>; trialsExperimentId: number }>(
      'sweeps:get',
      sweepId,
    );
    // The trials' runs table says why their meta-test cell is empty.
    await page.goto(`${base}/#/experiments/${detail.trialsExperimentId}`);
    const validationOnly = page.locator('[data-trial-note]');
    await validationOnly.first().waitFor();
    expect(await validationOnly.count()).toBe(2);
    expect((await validationOnly.first().textContent())!.trim()).toBe('validation only');
    await page.goto(`${base}/#/runs/${detail.finals[0]!.id}`);
    await expect
      .poll(() => page.locator('[data-sweep-note]').textContent())
      .toMatch(new RegExp(`^\\s*Final run of\\s+sweep ${sweepId} \\(fresh seed\\)\\.`));
    // A long sweep, cancelled from its page: it ends cancelled, its trials with it, live.
    const long = await call<{ id: number }>('sweeps:create', {
      name: 'e2e sweep to cancel',
      learners: ['maml'],
      space: [{ setting: 'metaLr', kind: 'values', values: [0.001, 0.002] }],
      trials: 2,
      finalSeeds: 1,
      config: { ...tinySweepConfig, iterations: 5000, valEvery: 1000, checkpointEvery: 1000 },
    });
    await page.goto(`${base}/#/sweeps/${long.id}`);
    await page.getByRole('heading', { name: /^Sweep #\d+: e2e sweep to cancel/ }).waitFor();
    await page.locator('[data-table=trials] td[data-column=status]').first().waitFor();
    await page.getByRole('button', { name: 'Cancel the sweep' }).click();
    await expect.poll(() => page.locator('h2 [data-status]').getAttribute('data-status')).toBe('cancelled');
    expect(await page.getByRole('button', { name: 'Cancel the sweep' }).count()).toBe(0);
    const statuses = async () =>
      (await page.locator('[data-table=trials] td[data-column=status]').allTextContents()).map((t) =>
        t.trim(),
      );
    // Each trial checkpoints first, then ends; the page follows their status events.
    await expect
      .poll(async () => [...new Set(await statuses())], { timeout: 60_000, interval: 500 })
      .toEqual(['cancelled']);
  }, 300_000);
});

describe('the concept projector', () => {
  it('projects a run at two checkpoints side by side, with the k-NN figure, images on hover, exports, and again after a reload', async () => {
    const created = await call<{ runs: Array<{ id: number }> }>('experiments:create', {
      name: 'e2e projector',
      config: {
        learner: 'protonet',
        data: 'glyphs',
        ways: 5,
        shots: 1,
        queries: 2,
        metaBatch: 1,
        iterations: 40,
        checkpointEvery: 20,
        valEvery: 0,
        evalTasks: 10,
        backend: 'wasm',
      },
    });
    const id = created.runs[0]!.id;
    await expect
      .poll(async () => (await call<{ status: string }>('runs:get', id)).status, {
        timeout: 180_000,
        interval: 500,
      })
      .toBe('completed');

    await page.goto(openUrl); // the token's cookie, when this test runs alone
    await page.goto(`${base}/#/runs/${id}`);
    await page.locator('[data-concepts-link]').click();
    await page.getByRole('heading', { name: `Concepts of run #${id}` }).waitFor();
    const left = page.locator('[data-projection=left]');
    await left.getByRole('button', { name: 'Project' }).click();
    const figure = /^5-NN accuracy \d+\.\d% \(chance \d+\.\d%\)$/;
    await expect.poll(() => left.locator('[data-knn]').textContent(), { timeout: 120_000 }).toMatch(figure);
    const leftKnn = (await left.locator('[data-knn]').textContent())!;
    const chart = left.locator('figure.chart');
    const points = Number(await chart.getAttribute('data-points'));
    expect(points).toBeGreaterThanOrEqual(100);
    const [stored] = await call<Array<{ result: { points: unknown[]; classNames: string[] } }>>(
      'projections:list',
      id,
    );
    expect(stored!.result.points).toHaveLength(points);
    expect(await chart.textContent()).toContain('iteration 40');
    // Well above chance on the glyphs after 40 iterations (the figure reads the stored accuracy).
    const [accuracy, chance] = [...leftKnn.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]));
    expect(accuracy!).toBeGreaterThan(2 * chance!);

    // Hovering a point shows its image: the plot is swept until the tooltip holds one.
    const box = (await chart.locator('canvas').first().boundingBox())!;
    const tooltipImage = page.locator('img[src^="data:image/png"]');
    let found = false;
    for (let gy = 1; gy < 24 && !found; gy++) {
      for (let gx = 1; gx < 24 && !found; gx++) {
        await page.mouse.move(box.x + (box.width * gx) / 24, box.y + ((box.height - 100) * gy) / 24);
        found = (await tooltipImage.count()) > 0 && (await tooltipImage.first().isVisible());
      }
    }
    expect(found).toBe(true);
    await shot('projector-hover');

    // The chart exports as PNG and SVG.
    const png = await downloaded('PNG', chart);
    expect(png.name).toBe(`projection-run${id}-40-pca.png`);
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    const svg = await downloaded('SVG', chart);
    expect(svg.body.toString()).toContain('<svg');

    // Early against late: the same run at iteration 20 beside it.
    await page.locator('select[name=compare-with]').selectOption(String(id));
    const right = page.locator('[data-projection=right]');
    await right.locator('select[name=right-checkpoint]').selectOption('20');
    await right.getByRole('button', { name: 'Project' }).click();
    await expect.poll(() => right.locator('[data-knn]').textContent(), { timeout: 120_000 }).toMatch(figure);
    expect(await right.locator('figure.chart').textContent()).toContain('iteration 20');
    await page.mouse.move(0, 0);
    await shot('projector');

    // UMAP of the same vectors: another map, the same k-NN figure (it is of the full embeddings).
    await left.locator('select[name=left-method]').selectOption('umap');
    await left.getByRole('button', { name: 'Project' }).click();
    await expect
      .poll(() => left.locator('figure.chart').textContent(), { timeout: 120_000 })
      .toContain('UMAP');
    expect(await left.locator('[data-knn]').textContent()).toBe(leftKnn);
    await shot('projector-umap');

    // Reopened, the stored maps show at once: nothing is asked for again.
    await page.reload();
    await left.locator('select[name=left-method]').selectOption('umap');
    await expect.poll(() => left.locator('[data-knn]').textContent()).toBe(leftKnn);
    await expect.poll(() => right.locator('[data-knn]').textContent()).toMatch(figure);
    expect(await page.getByRole('button', { name: 'Project' }).count()).toBe(0);
    expect(await call<unknown[]>('projections:list', id)).toHaveLength(3);

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=dark]').check();
    await page.goto(`${base}/#/runs/${id}/concepts/${id}`);
    await right.locator('select[name=right-checkpoint]').selectOption('20');
    await expect.poll(() => right.locator('[data-knn]').textContent()).toMatch(figure);
    await expect.poll(() => left.locator('[data-knn]').textContent()).toMatch(figure);
    await shot('projector-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('input[name=theme][value=light]').check();
  }, 420_000);
});
