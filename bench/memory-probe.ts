// Preloaded into every benchmarked server (node --expose-gc --import): answers the bench's
// messages over the IPC channel, "measure" with the process's memory after a full GC and "cpu"
// with the CPU time it has used, so these figures need no bench-only route in production code.

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (message: unknown) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ kind: 'cpu', microseconds: user + system });
      return;
    }
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
