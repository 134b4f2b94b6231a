// Preloaded into every benchmarked server (node --expose-gc --import): answers the bench's
// "measure" message over the IPC channel with the process's memory after a full GC, so the
// memory figure needs no bench-only route in the production code.

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (message: unknown) => {
    if (message !== 'measure') return;
    // Two passes: the first can leave objects whose finalizers free more.
    gc?.();
    gc?.();
    const { rss, heapUsed, external } = process.memoryUsage();
    process.send?.({ kind: 'memory', rss, heapUsed, external, gcRan: gc !== undefined });
  });
  // The channel must not keep a server alive that was asked to stop.
  process.channel?.unref();
}
