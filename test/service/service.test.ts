/**
 * The service as both transports see it: configs validated against their data before anything
 * is queued, a preset's cells as one experiment, and the same error payload (code, message,
 * per-field issues) over IPC and HTTP.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Channel } from '../../src-main/contract/api';
import { ConfigError, parseExperimentConfig } from '../../src-main/contract/config';
import { runDirectory } from '../../src-main/layout/dataDirectory';
import { serve } from '../../src-main/server/server';
import { callOutcome } from '../../src-main/service/errors';
import { WorkbenchService } from '../../src-main/service/service';
import { TINY } from '../helpers/configs';
import { markedPng } from '../helpers/images';
import { tempDirs } from '../helpers/temp';
import { until } from '../helpers/waiting';

const ROOT = resolve(__dirname, '../..');
const tempDir = tempDirs('deml-service');

function open(dataDir: string) {
  return WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
}

describe('creating experiments', () => {
  it('a config that fails validation never reaches the queue', async () => {
    const service = open(tempDir());
    await expect(
      service.createExperiment({ name: 'bad', config: { ...TINY, model: { filters: 8, blocks: 4 } } }),
    ).rejects.toThrow(ConfigError);
    await expect(service.createExperiment({ name: 'bad', config: { ...TINY, ways: 0 } })).rejects.toThrow(
      /Ways: must be at least 2/,
    );
    await expect(
      service.createExperiment({ name: 'bad', config: { ...TINY, data: 'no-such-dataset' } }),
    ).rejects.toThrow(/data/);
    await expect(service.call('experiments:create', [{ name: '', config: TINY }])).rejects.toThrow(/name/);
    expect(service.store.runs.list()).toEqual([]);
    expect(service.store.experiments.list()).toEqual([]);
    await service.close();
  });
});

describe('variants', () => {
  it('a preset’s cells become one experiment: variants × seeds, nested fields merged, all validated first', async () => {
    const service = open(tempDir());
    const { runs } = await service.createExperiment({
      name: 'cells',
      config: TINY,
      seeds: [0, 1],
      variants: [{ learner: 'maml' }, { learner: 'metasgd', shots: 2, model: { filters: 4 } }],
    });
    const configs = runs.map((r) => service.store.runs.get(r.id)!.config);
    expect(configs.map((c) => [c.learner, c.seed, c.shots, c.model.filters, c.model.blocks])).toEqual([
      ['maml', 0, 1, 8, 2],
      ['maml', 1, 1, 8, 2],
      ['metasgd', 0, 2, 4, 2],
      ['metasgd', 1, 2, 4, 2],
    ]);
    // Each run names its cell: the learner and the settings its experiment's runs differ in, by label.
    expect(service.store.runs.list().map((r) => `${r.cell} / ${r.seed}`)).toEqual([
      'Meta-SGD · Filters per conv block 4 · Shots 2 / 1',
      'Meta-SGD · Filters per conv block 4 · Shots 2 / 0',
      'MAML · Filters per conv block 8 · Shots 1 / 1',
      'MAML · Filters per conv block 8 · Shots 1 / 0',
    ]);
    expect(service.store.runs.summary(runs[0]!.id)!.cell).toBe('MAML · Filters per conv block 8 · Shots 1');
    await expect(
      service.createExperiment({
        name: 'bad cell',
        config: TINY,
        variants: [{ learner: 'maml' }, { ways: 99 }],
      }),
    ).rejects.toThrow(ConfigError);
    expect(service.store.experiments.list().map((e) => e.name)).toEqual(['cells']);
    await service.close();
  });

  it('more seeds go to every cell of the experiment, never to its first learner alone', async () => {
    const service = open(tempDir());
    const { experiment } = await service.createExperiment({
      name: 'MAML vs Meta-SGD',
      config: TINY,
      variants: [{ learner: 'maml' }, { learner: 'metasgd', shots: 2 }],
    });
    const cells = () =>
      service.store.runs
        .list({ experimentId: experiment.id })
        .map((r) => service.store.runs.get(r.id)!.config)
        .map((c) => `${c.learner}/${c.shots}/${c.seed}`)
        .sort();
    await service.call('runs:launch', [experiment.id, { seeds: [2, 0] }]);
    // Seed 0 exists in both cells and is not duplicated; seed 2 reaches both, each with its own shots.
    expect(cells()).toEqual(['maml/1/0', 'maml/1/2', 'metasgd/2/0', 'metasgd/2/2']);
    await service.call('runs:launch', [experiment.id, { seeds: [3], learners: ['metasgd'] }]);
    expect(cells()).toContain('metasgd/2/3');
    expect(cells()).not.toContain('maml/1/3');
    await expect(service.call('runs:launch', [experiment.id, { seeds: [0, 2] }])).rejects.toThrow(
      /already has a run with seed 0, 2/,
    );
    expect(cells()).toHaveLength(5);
    await service.close();
  });
});

describe('deleting a run', () => {
  it('refuses a queued run or one being evaluated; otherwise its rows and its folder go, its siblings stay', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const { runs } = await service.createExperiment({ name: 'two seeds', config: TINY, seeds: [0, 1] });
    const [done, queued] = runs.map((r) => r.id) as [number, number];
    const { store } = service;
    store.runs.markStarted(done, null);
    store.metrics.insert(done, [{ key: 'train/loss', step: 1, value: 2, time: 1 }]);
    store.checkpoints.record(done, 10, 'step-10.ckpt', ['step-10.ckpt']);
    store.runs.finish(done, 'completed');
    for (const id of [done, queued]) {
      mkdirSync(runDirectory(dataDir, id), { recursive: true });
      writeFileSync(join(runDirectory(dataDir, id), 'trainer.log'), 'a line\n');
    }

    await expect(service.call('runs:delete', [queued])).rejects.toThrow(/run \d+ is queued; cancel it first/);
    const request = store.evaluationRequests.create(done, { ways: 5, shots: 1, tasks: 10 });
    await expect(service.call('runs:delete', [done])).rejects.toThrow(
      /has an evaluation queued or under way/,
    );
    expect(store.runs.get(done)).not.toBeNull();
    await service.call('evaluations:cancel', [request.id]);

    await expect(service.call('runs:delete', [done])).resolves.toEqual({ id: done });
    expect(store.runs.get(done)).toBeNull();
    expect(store.metrics.count(done)).toBe(0);
    expect(store.checkpoints.list(done)).toEqual([]);
    expect(store.evaluationRequests.pending(done)).toEqual([]);
    expect(existsSync(runDirectory(dataDir, done))).toBe(false);
    // The other run of the experiment, and its files, are untouched.
    expect(store.runs.list().map((r) => r.id)).toEqual([queued]);
    expect(existsSync(join(runDirectory(dataDir, queued), 'trainer.log'))).toBe(true);
    await expect(service.call('runs:delete', [done])).rejects.toThrow(/does not exist/);
    await service.close();
  });
});

describe('deleting a sweep’s run', () => {
  it('waits for the sweep to end: its scheduler reads its trials', async () => {
    const service = open(tempDir());
    const sweep = await service.createSweep({
      name: 'lr',
      learners: ['maml'],
      method: 'grid',
      trials: 2,
      space: [{ setting: 'inner-lr', kind: 'values', values: [0.1, 0.4] }],
      finalSeeds: 1,
      config: TINY,
    });
    const experimentId = service.store.sweeps.get(sweep.id)!.trialsExperimentId;
    const trial = service.store.runs.create({
      experimentId,
      config: parseExperimentConfig(TINY),
      appVersion: 'test',
      sweep: { id: sweep.id, role: 'trial', trial: 0 },
    });
    service.store.runs.requestCancel(trial.id);
    await expect(service.call('runs:delete', [trial.id])).rejects.toThrow(
      new RegExp(`belongs to sweep ${sweep.id}, which is still running`),
    );
    service.cancelSweep(sweep.id);
    await expect(service.call('runs:delete', [trial.id])).resolves.toEqual({ id: trial.id });
    await service.close();
  });
});

describe('runs-table columns', () => {
  it('a setting from each run’s config, a metric’s latest point; an unknown column is refused', async () => {
    const service = open(tempDir());
    const { runs } = await service.createExperiment({
      name: 'cells',
      config: TINY,
      variants: [
        { learner: 'maml' },
        { learner: 'metasgd', shots: 2, split: { train: 0.5, val: 0.25, test: 0.25 } },
      ],
    });
    const [maml, metasgd] = runs.map((r) => r.id) as [number, number];
    service.store.metrics.insert(maml, [
      { key: 'val/accuracy', step: 20, value: 0.5, time: 1 },
      { key: 'val/accuracy', step: 10, value: 0.25, time: 0 },
    ]);
    const columns = ['setting:shots', 'setting:learner', 'setting:split', 'metric:val/accuracy'];
    expect(await service.call('runs:columns', [[maml, metasgd, 999], columns])).toEqual([
      {
        runId: maml,
        values: {
          'setting:shots': 1,
          'setting:learner': 'maml',
          'setting:split': '0.6 / 0.2 / 0.2',
          'metric:val/accuracy': 0.5,
        },
      },
      {
        runId: metasgd,
        values: {
          'setting:shots': 2,
          'setting:learner': 'metasgd',
          'setting:split': '0.5 / 0.25 / 0.25',
          'metric:val/accuracy': null,
        },
      },
    ]);
    await expect(service.call('runs:columns', [[maml], ['setting:noSuchThing']])).rejects.toThrow(
      /no runs-table column 'setting:noSuchThing'/,
    );
    await service.close();
  });
});

describe('the episode viewer', () => {
  it('one episode of a trained run’s meta-test from a trainer process: the accuracy its meta-test counted', async () => {
    const dataDir = tempDir();
    const service = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100 });
    try {
      const { runs } = await service.createExperiment({ name: 'viewer', config: TINY });
      const id = runs[0]!.id;
      await expect(service.call('runs:episode', [id])).rejects.toThrow(/has no checkpoint/);
      await until('the run to complete', () => service.store.runs.get(id)!.status === 'completed', 110_000);
      const test = service.run(id).evaluations.find((e) => e.split === 'test' && e.origin === 'training')!;
      const step = service.store.checkpoints.list(id).at(-1)!.step;
      for (const index of [0, 4]) {
        const episode = await service.call('runs:episode', [id, { index }]);
        expect(episode).toMatchObject({
          runId: id,
          step,
          index,
          split: 'test',
          ways: 5,
          shots: 1,
          queries: 3,
        });
        expect(episode.support).toHaveLength(5);
        expect(episode.query).toHaveLength(15);
        expect(Buffer.from(episode.query[0]!.image, 'base64')).toHaveLength(12 * 12);
        expect(episode.accuracy).toBeCloseTo(test.accuracies[index]!, 6);
      }
      // Stepping on before an answer came: the earlier job is stopped, the later one answers.
      const [earlier, later] = await Promise.allSettled([
        service.call('runs:episode', [id, { index: 1 }]),
        service.call('runs:episode', [id, { index: 2 }]),
      ]);
      expect(earlier).toMatchObject({ status: 'rejected', reason: { code: 'cancelled' } });
      expect(later).toMatchObject({ status: 'fulfilled', value: { index: 2 } });
      await expect(service.call('runs:episode', [id, { step: 999 }])).rejects.toThrow(
        /no checkpoint at iteration 999/,
      );
    } finally {
      await service.close();
    }
  });
});

describe('resuming a run', () => {
  it('goes where it is told: the workbench’s default executor, another Slurm partition, or where it went before', async () => {
    const service = WorkbenchService.open({ dataDir: tempDir(), appVersion: 'test', mode: 'client' });
    const { runs } = await service.createExperiment({
      name: 'nowhere',
      config: TINY,
      executor: { kind: 'slurm', slurm: { partition: 'nosuchpartition' } },
    });
    const id = runs[0]!.id;
    // Refused at submission, as sbatch refuses a partition that does not exist.
    const fail = () => {
      expect(service.store.runs.markStarted(id, null)).toBe(true);
      expect(service.store.runs.finish(id, 'failed', 'sbatch failed: invalid partition specified')).toBe(
        true,
      );
    };
    fail();
    expect(service.store.runs.get(id)!.executor).toEqual({
      kind: 'slurm',
      slurm: { partition: 'nosuchpartition' },
    });
    // The workbench's default (here the local queue): the local queue takes it.
    await service.call('runs:resume', [id, { from: 0, executor: 'default' }]);
    expect(service.store.runs.get(id)).toMatchObject({ status: 'queued', executor: null, attempt: 1 });
    expect(service.store.runs.nextQueued()?.id).toBe(id);
    fail();
    // An edited Slurm partition.
    await service.call('runs:resume', [id, { executor: { kind: 'slurm', slurm: { partition: 'debug' } } }]);
    expect(service.store.runs.get(id)!.executor).toEqual({ kind: 'slurm', slurm: { partition: 'debug' } });
    expect(service.store.runs.nextQueued()).toBeNull();
    fail();
    // Told nothing, it goes where it went the last time.
    await service.call('runs:resume', [id]);
    expect(service.store.runs.get(id)!.executor).toEqual({ kind: 'slurm', slurm: { partition: 'debug' } });
    fail();
    await service.call('runs:resume', [id, { executor: { kind: 'local' } }]);
    expect(service.store.runs.get(id)!.executor).toBeNull();
    await expect(
      service.call('runs:resume', [id, { executor: { kind: 'slurm', slurm: { partition: 'a b' } } }]),
    ).rejects.toThrow(/letters, digits/);
    await service.close();
  });
});

describe('importing datasets', () => {
  it('an import can be cancelled while it runs: it fails as cancelled and writes nothing', async () => {
    const service = open(tempDir());
    const folder = tempDir();
    for (let c = 0; c < 4; c++) {
      mkdirSync(join(folder, `class-${c}`));
      for (let i = 0; i < 50; i++)
        writeFileSync(join(folder, `class-${c}`, `${i}.png`), await markedPng(24, 24, c * 50 + i));
    }
    const input = { format: 'folder' as const, name: 'stopped', paths: [folder], size: 16 };
    const importing = service.call('datasets:import', [input]);
    await expect(service.call('datasets:import', [input])).rejects.toThrow(/already being imported/);
    expect(await service.call('datasets:cancelImport', ['stopped'])).toBe(true);
    await expect(importing).rejects.toMatchObject({ code: 'cancelled', message: /import cancelled/ });
    expect((await service.listDatasets()).map((d) => d.name)).not.toContain('stopped');
    expect(await service.call('datasets:cancelImport', ['stopped'])).toBe(false);
    // The same import, not cancelled, goes through.
    expect((await service.call('datasets:import', [input])) as { images: number }).toMatchObject({
      images: 200,
    });
    await service.close();
  });
});

describe('errors over both transports', () => {
  const failing: Array<[string, Channel, unknown[], number, string, string[]]> = [
    [
      'a config that fails its schema',
      'experiments:create',
      [{ name: 'x', config: { ...TINY, model: { filters: 0 } } }],
      400,
      'invalid',
      ['model.filters'],
    ],
    [
      'a config that does not fit its data',
      'experiments:create',
      [{ name: 'x', config: { ...TINY, ways: 50 } }],
      400,
      'invalid',
      ['ways'],
    ],
    [
      'a missing external dataset',
      'experiments:create',
      [{ name: 'x', config: { ...TINY, space: 'concept', concept: { external: 'nope' } } }],
      400,
      'invalid',
      ['concept.external'],
    ],
    [
      'arguments that fail the channel schema',
      'experiments:create',
      [{ name: ' ', config: TINY, seeds: [-1] }],
      400,
      'invalid',
      ['name', 'seeds.0'],
    ],
    ['an unknown run', 'runs:get', [999], 404, 'not-found', []],
    ['a run in the wrong state', 'runs:resume', [1], 409, 'conflict', []],
  ];

  it('IPC and HTTP answer a failed call with the same code, message and per-field issues', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    await service.createExperiment({ name: 'queued', config: TINY });
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>test</title>');
    const server = await serve({ service, rendererDir, token: 'secret' });
    try {
      for (const [what, channel, args, status, code, fields] of failing) {
        const ipc = await callOutcome(service, channel, args);
        expect(ipc.ok, what).toBe(false);
        const error = (ipc as Extract<typeof ipc, { ok: false }>).error;
        expect(error.code, what).toBe(code);
        expect(
          error.issues.map((i) => i.field),
          what,
        ).toEqual(fields);
        for (const i of error.issues) expect(i.message, what).not.toBe('');
        const res = await fetch(`${server.url}/api/${channel}`, {
          method: 'POST',
          headers: { authorization: 'Bearer secret', 'content-type': 'application/json' },
          body: JSON.stringify({ args }),
        });
        expect(res.status, what).toBe(status);
        expect(await res.json(), what).toEqual(error);
      }
      // A call that succeeds answers its result on both.
      const ok = await callOutcome(service, 'runs:get', [1]);
      expect(ok).toMatchObject({ ok: true, result: { id: 1, status: 'queued' } });
    } finally {
      await server.close();
      await service.close();
    }
  });
});

describe('hostile HTTP input', () => {
  it('answers malformed input with 400 and its reason, never 500; no open redirect; hardened headers; small socket frames', async () => {
    const service = open(tempDir());
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>test</title>');
    const server = await serve({ service, rendererDir, token: 'secret' });
    const auth = { authorization: 'Bearer secret' };
    const raw = (method: string, path: string, body?: string, headers: Record<string, string> = auth) =>
      new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((ok, fail) => {
        const req = request(`${server.url}${path}`, { method, headers }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        req.on('error', fail);
        req.end(body);
      });
    try {
      for (const [method, path, body, reason] of [
        ['GET', '/%', undefined, /malformed percent-encoding/],
        ['POST', '/api/%', '{"args":[]}', /malformed percent-encoding/],
        ['POST', '/api/runs:list', 'null', /must be a JSON object/],
        ['POST', '/api/runs:list', '[1]', /must be a JSON object/],
        [
          'POST',
          '/api/datasets:import',
          '{"args":[{"format":"folder","name":"glyphs","paths":["/nonexistent"]}]}',
          /built-in dataset/,
        ],
      ] as const) {
        const res = await raw(method, path, body);
        expect(res.status, `${method} ${path} ${body}`).toBe(400);
        expect(res.text, path).toMatch(reason);
      }
      // A name climbing out of the data directory is just an unknown dataset.
      const outside = await raw('POST', '/api/datasets:samples', '{"args":["../../outside"]}');
      expect(outside.status).toBe(404);
      expect(outside.text).toContain("unknown dataset '../../outside'");
      // The token in a URL trades for a cookie and a redirect that stays on this server.
      const redirect = await raw('GET', '/.//evil.example/?token=secret', undefined, {});
      expect(redirect.status).toBe(302);
      expect(redirect.headers.location).toBe('/evil.example/');
      const api = await raw('POST', '/api/runs:list', '{"args":[]}');
      expect(api.status).toBe(200);
      expect(api.headers['x-content-type-options']).toBe('nosniff');
      expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      // A huge WebSocket frame closes the socket (1009: message too big) instead of being buffered.
      const closed = await new Promise<number>((ok, fail) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events?token=secret`);
        ws.on('open', () => ws.send(Buffer.alloc(1 << 20)));
        ws.on('close', (code) => ok(code));
        ws.on('error', () => undefined);
        setTimeout(() => fail(new Error('the socket stayed open')), 10_000);
      });
      expect(closed).toBe(1009);
    } finally {
      await server.close();
      await service.close();
    }
  });
});

describe('what the service loads', () => {
  /** The packages a fresh Node process has loaded after importing `modules` (from source, via tsx). */
  function loadedPackages(modules: string[]): string[] {
    const script = `
      import { createRequire } from 'node:module';
      for (const m of ${JSON.stringify(modules.map((m) => pathToFileURL(resolve(ROOT, m)).href))}) await import(m);
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify([...new Set(loaded.flatMap((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(p)?.[1] ?? []))]));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[];
  }

  it('the service, the HTTP server and the `deml` command never load TensorFlow.js, nor sharp until an image is decoded', () => {
    const packages = loadedPackages([
      'src-main/service/service.ts',
      'src-main/server/server.ts',
      'src-main/cli/serve.ts',
      // Every command's definition: `deml runs` and the like start in a quarter of a second; the
      // commands that train, evaluate or check backends load the engine when they run.
      'src-main/cli/main.ts',
    ]);
    expect(packages).toContain('better-sqlite3'); // the probe sees CommonJS packages
    expect(packages.filter((p) => p.startsWith('@tensorflow/') || p === 'sharp')).toEqual([]);
    // ...and would see tfjs where it is loaded: the trainer process's module.
    expect(loadedPackages(['src-main/jobs/trainerJob.ts'])).toContain('@tensorflow/tfjs');
  });
});
