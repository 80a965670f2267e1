/**
 * Where and with what a run trained: the software (the workbench's git commit where there is one,
 * Node, TensorFlow.js, the backend and its library) and the machine (OS, CPU, memory, GPU adapter).
 * Recorded by the trainer itself, so a cluster run names the node it ran on, not the workbench's.
 */
export interface Provenance {
  /** The workbench's git commit (12 hex digits, "+changes" when the tree differed), if it runs from a checkout. */
  commit: string | null;
  node: string;
  tfjs: string;
  /** The backend and the library behind it ("wasm: @tensorflow/tfjs-backend-wasm 4.22.0"). */
  backend: string;
  /** "Linux 6.1.0-28-amd64 x64". */
  os: string;
  /** "2 × Intel(R) Xeon(R) CPU @ 2.20GHz". */
  cpu: string;
  memoryBytes: number;
  /** The GPU adapter the run computed on, or null on the CPU. */
  gpu: string | null;
  host: string;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** The software, in one line: "commit 1a2b3c4d5e6f · Node v20.20.2 · tfjs 4.22.0 · wasm: …". */
export function describeSoftware(p: Provenance): string {
  return [
    p.commit ? `commit ${p.commit}` : 'no git commit',
    `Node ${p.node}`,
    `tfjs ${p.tfjs}`,
    p.backend,
  ].join(' · ');
}

/** The machine, in one line: "host · Linux 6.1 x64 · 2 × Intel Xeon · 23.5 GiB · GPU NVIDIA H100". */
export function describeMachine(p: Provenance): string {
  return [p.host, p.os, p.cpu, gib(p.memoryBytes), p.gpu ? `GPU ${p.gpu}` : 'no GPU'].join(' · ');
}
