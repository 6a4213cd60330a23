// Benchmarks that later parts of the simulator add (the checkers' speed); each returns its lines.

export async function extraBenchmarks(): Promise<string[]> {
  return [];
}
