/** Let timers, signals, IPC and pipes run between two pieces of synchronous training work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
