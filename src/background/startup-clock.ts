// Imported first by the background, so this line runs before any other of
// our code: the benchmark splits the cold start into loading the script and
// starting up. A worker's performance.now() counts from the worker's start.
export const scriptStartMs = performance.now();
