/**
 * `deml doctor`: which backends this machine can train on, which one `auto` picks, and on a GPU
 * whether it computes correctly: one convolution and its gradients on the GPU against the cpu
 * backend. The answer a user needs before a long run ("is my GPU used, and if not, why?").
 */
import { defineCommand, runAlone } from './command';

export const DOCTOR_FLAGS = {
  json: { type: 'boolean', help: 'print the findings as one JSON object' },
  'force-webgpu': {
    type: 'boolean',
    help: 'run the GPU check on a CPU adapter too (SwiftShader, llvmpipe)',
  },
} as const;

export const DOCTOR = defineCommand({
  name: 'doctor',
  summary: 'which backends train here, which one auto picks, and whether the GPU computes correctly',
  details:
    'Which backends train here (tensorflow, webgpu, wasm, cpu), which one auto picks and why, and on ' +
    'a GPU a convolution with its gradients checked against the cpu backend.',
  options: DOCTOR_FLAGS,
  // The checks load TensorFlow.js: only this command pays for it (doctorChecks.ts).
  run: async (values) => (await import('./doctorChecks')).doctor(values),
});

/** `deml doctor` on its own command line (bench/device/doctor.ts, bundled without the rest of the CLI). */
export function doctorCommand(argv: string[]): Promise<number> {
  return runAlone(DOCTOR, argv);
}
