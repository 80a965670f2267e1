/** `deml doctor`'s checks (the command's definition is doctor.ts). */
import { type BackendName, BackendUnavailableError, describeBackend, selectBackend } from '../engine/backend';
import { tf } from '../engine/tf';
import { cpuAdapterRefusal, describeAdapter, probeWebgpuInChild } from '../engine/webgpu';
import type { FlagValues } from './command';
import type { DOCTOR_FLAGS } from './doctor';

interface BackendCheck {
  backend: BackendName;
  available: boolean;
  /** The backend line a run would record, or why the backend cannot start. */
  text: string;
}

/** A 3×3 conv with its input and filter gradients, on the current backend, as host arrays. */
async function convCheck(): Promise<Float32Array[]> {
  const values = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
  const out = tf.tidy(() => {
    const x = tf.tensor4d(values(4 * 12 * 12 * 3, 1), [4, 12, 12, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 8, 2), [3, 3, 3, 8]);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.relu(tf.conv2d(a, b, 1, 'same'))));
    const [dx, dw] = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, w]);
    return [tf.conv2d(x, w, 1, 'same'), dx!, dw!];
  });
  const arrays = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(out);
  return arrays;
}

function largestRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, k) => {
    const y = b[k]!;
    const scale = x.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!) / scale)));
  });
  return worst;
}

export async function doctor(values: FlagValues<typeof DOCTOR_FLAGS>): Promise<number> {
  const checks: BackendCheck[] = [];
  const attempt = async (backend: BackendName) => {
    try {
      const d = await selectBackend(backend);
      checks.push({ backend, available: true, text: describeBackend(d) });
      return d;
    } catch (e) {
      const reason = e instanceof BackendUnavailableError ? e.reason : (e as Error).message;
      checks.push({ backend, available: false, text: reason });
      return null;
    }
  };
  await attempt('tensorflow');
  // The adapter as auto sees it (in a child: a machine without a GPU keeps Dawn's complaints there).
  const probe = probeWebgpuInChild();
  let gpuCheck: { adapter: string; maxRelativeDifference: number; ms: number } | null = null;
  if (probe.ok && (!probe.summary.cpu || values['force-webgpu'])) {
    const d = await attempt('webgpu');
    if (d) {
      const t0 = performance.now();
      const got = await convCheck();
      const ms = performance.now() - t0;
      await selectBackend('cpu');
      gpuCheck = {
        adapter: describeAdapter(d.adapter!),
        maxRelativeDifference: largestRelativeDifference(await convCheck(), got),
        ms,
      };
    }
  } else {
    checks.push({
      backend: 'webgpu',
      available: false,
      text: probe.ok ? `${cpuAdapterRefusal(probe.summary)}; --force-webgpu checks it anyway` : probe.reason,
    });
  }
  await attempt('wasm');
  const auto = describeBackend(await selectBackend('auto'));
  const ok = gpuCheck == null || gpuCheck.maxRelativeDifference < 1e-4;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ backends: checks, auto, gpuCheck })}\n`);
  } else {
    for (const c of checks)
      process.stdout.write(`${c.backend.padEnd(10)} ${c.available ? 'yes' : 'no '}  ${c.text}\n`);
    if (gpuCheck) {
      process.stdout.write(
        `\nGPU check: a 3×3 conv and its gradients on webgpu ${ok ? 'match' : 'DIFFER FROM'} the cpu backend ` +
          `(largest difference ${gpuCheck.maxRelativeDifference.toExponential(1)} of the largest value; ${gpuCheck.ms.toFixed(0)} ms with shader compilation)\n`,
      );
    }
    process.stdout.write(`\nauto picks: ${auto}\n`);
  }
  return ok ? 0 : 1;
}
