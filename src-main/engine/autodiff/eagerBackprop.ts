/**
 * A backward pass that frees as it goes. tfjs's engine.gradients (tfjs-core 4.22) keeps every
 * gradient it computes, and every tensor the forward pass saved for it, until the whole backward
 * pass ends: a task's peak is then all its activations plus all their gradients at once. This
 * installs the same walk over the same tape (reverse order, the same gradient functions, the same
 * sums in the same order, so the same values bit for bit) that drops what no later step reads:
 *
 * - a node's output gradients once its input gradients are computed: the tape is in the order
 *   the ops ran, so an output's gradient is complete before its node is reached, and no node
 *   reached later reads it. A tensor stored under two keys (a gradient function that returns dy
 *   itself) is disposed when its last key goes;
 * - in the outermost backward pass (gradient depth 0, where tfjs itself disposes every saved
 *   tensor at the end), a node's saved tensors once its gradient has run. Inside an outer
 *   gradient (second-order MAML's inner steps) the outer tape may still need them, so they stay,
 *   as tfjs keeps them; freeing a gradient there is still safe: an op recorded on the outer tape
 *   holds its own reference (a saved clone) to what its gradient reads.
 *
 * What the caller gets is unchanged: the value, and the gradients of xs, in the caller's scope.
 * DEML_EAGER_BACKPROP=0 keeps tfjs's own (for A/B measurements, and as an escape hatch).
 */
import { tf } from '../tf';
import type { Tensor } from '../tf';

/** The parts of tfjs-core's tape node that the walk reads (tape.ts, TapeNode). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, Tensor>;
  outputs: Tensor[];
  gradient: ((dys: Array<Tensor | null>) => Record<string, () => Tensor>) | null;
  saved?: Tensor[];
}

/** The parts of tfjs-core's Engine that engine.gradients uses. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T>(f: () => T): T;
  tidy<T>(name: string, f: () => T): T;
  gradients: Gradients;
}
type Gradients = (
  f: () => Tensor,
  xs: Tensor[],
  dy?: Tensor,
  allowNoGradients?: boolean,
) => { value: Tensor; grads: Tensor[] };

/** The tfjs-core version whose engine.gradients this reimplements. */
const TFJS_CORE = '4.22.0';

let stock: Gradients | null = null;

export function eagerBackpropEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DEML_EAGER_BACKPROP?.trim() !== '0';
}

/**
 * Replace the engine's gradients with the freeing walk (idempotent). Only for the tfjs-core this
 * was written against: another version's engine is left as it is.
 */
export function installEagerBackprop(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (stock || !eagerBackpropEnabled() || tf.version_core !== TFJS_CORE) return;
  stock = engine.gradients.bind(engine);
  engine.gradients = (f, xs, dy, allowNoGradients = false) => gradients(engine, f, xs, dy, allowNoGradients);
}

/** Put tfjs's own gradients back (tests compare the two). */
export function uninstallEagerBackprop(): void {
  if (!stock) return;
  (tf.engine() as unknown as EngineInternals).gradients = stock;
  stock = null;
}

/** engine.gradients of tfjs-core 4.22, with the freeing walk. */
function gradients(
  engine: EngineInternals,
  f: () => Tensor,
  xs: Tensor[],
  dy: Tensor | undefined,
  allowNoGradients: boolean,
): { value: Tensor; grads: Tensor[] } {
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32')
    throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = filteredNodes(engine.state.activeTape ?? [], xs, y);
  if (!allowNoGradients && tape.length === 0 && xs.length > 0) {
    throw new Error(
      'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all ' +
        'operations that lead from x to y.',
    );
  }
  return engine.tidy('backward', () => {
    const outermost = engine.state.gradientDepth === 0;
    // The caller's dy stays the caller's.
    const grad = new GradientMap(xs, dy ? [dy] : []);
    grad.set(y.id, dy ?? tf.ones(y.shape));
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i]!;
      const dys = node.outputs.map((o) => grad.get(o.id));
      if (node.gradient == null) {
        throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      }
      const inputGradients = node.gradient(dys);
      for (const inputName in node.inputs) {
        const thunk = inputGradients[inputName];
        if (!thunk) {
          throw new Error(
            `Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`,
          );
        }
        const dx = engine.tidy(thunk);
        if (dx.dtype !== 'float32') {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have ` +
              `'float32' dtype, but has '${dx.dtype}'`,
          );
        }
        const x = node.inputs[inputName]!;
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape ` +
              `'${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        }
        grad.accumulate(x.id, dx);
      }
      for (const o of node.outputs) grad.release(o.id);
      if (outermost) for (const t of node.saved ?? []) if (!grad.holds(t)) t.dispose();
    }
    const grads = xs.map((x) => grad.get(x.id)!);
    if (outermost) {
      // As tfjs does: the saved tensors of the whole tape, including nodes off the x → y paths.
      for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
    return { value: y, grads };
  });
}

/**
 * Gradients by tensor id, counting the keys each tensor object is stored under, so that one is
 * disposed only when no key holds it. The gradients of xs are never released, and tensors the
 * walk did not make (the caller's dy) never disposed.
 */
class GradientMap {
  private readonly byId = new Map<number, Tensor>();
  private readonly keys = new Map<Tensor, number>();
  private readonly kept: Set<number>;
  private readonly foreign: Set<Tensor>;

  constructor(xs: Tensor[], foreign: Tensor[]) {
    this.kept = new Set(xs.map((x) => x.id));
    this.foreign = new Set(foreign);
  }

  /** Whether some key holds this tensor object. */
  holds(t: Tensor): boolean {
    return this.keys.has(t);
  }

  get(id: number): Tensor | null {
    return this.byId.get(id) ?? null;
  }

  set(id: number, t: Tensor): void {
    this.byId.set(id, t);
    this.keys.set(t, (this.keys.get(t) ?? 0) + 1);
  }

  /** tfjs's accumulation: the first gradient as is, then running sums, each old sum disposed. */
  accumulate(id: number, dx: Tensor): void {
    const current = this.byId.get(id);
    if (current == null) return this.set(id, dx);
    const sum = tf.add(current, dx);
    this.drop(id, current);
    this.set(id, sum);
  }

  /** The gradient under `id` is read by no later step. */
  release(id: number): void {
    const t = this.byId.get(id);
    if (t == null || this.kept.has(id)) return;
    this.drop(id, t);
  }

  private drop(id: number, t: Tensor): void {
    this.byId.delete(id);
    const left = (this.keys.get(t) ?? 1) - 1;
    if (left > 0) this.keys.set(t, left);
    else {
      this.keys.delete(t);
      if (!this.foreign.has(t)) t.dispose();
    }
  }
}

/**
 * The tape's nodes on a path from xs to y, the inputs that are not functions of xs pruned (tfjs-core
 * 4.22's getFilteredNodesXToY, tape.ts, Apache-2.0, which tfjs-core does not export).
 */
function filteredNodes(tape: TapeNode[], xs: Tensor[], y: Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const inputName in node.inputs) {
      if (fromX.has(node.inputs[inputName]!.id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const inputName in node.inputs) {
        leadToY.add(node.inputs[inputName]!.id);
        nodesToY.add(node.id);
      }
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, Tensor> = {};
    for (const inputName in node.inputs) {
      if (fromX.has(node.inputs[inputName]!.id)) inputs[inputName] = node.inputs[inputName]!;
    }
    filtered.push({ ...node, inputs, outputs: node.outputs });
  }
  return filtered;
}
