/**
 * Unhandled rejections and uncaught exceptions while a spec runs, heard on
 * Node's own `process` (through the test environment, environment.js): a
 * spec's `process.on(...)` never hears them.
 */

declare const __deviceBenchOnProcess: (
  event: 'unhandledRejection' | 'uncaughtException',
  listener: (reason: unknown) => void
) => () => void;

/**
 * Start listening; the returned function stops and returns what was heard
 * (each error's message), in order. `onError` is called as each comes.
 */
export function watchUncaught(
  onError?: (error: unknown) => void
): () => string[] {
  const heard: string[] = [];
  const listener = (error: unknown) => {
    heard.push(String((error as Error)?.message ?? error));
    onError?.(error);
  };
  const stops = [
    __deviceBenchOnProcess('unhandledRejection', listener),
    __deviceBenchOnProcess('uncaughtException', listener)
  ];
  return () => {
    stops.forEach(stop => stop());
    return heard;
  };
}
