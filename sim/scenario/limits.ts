// The bounds of the scenario format: every number and text a scenario gives is checked against
// these at load, so that nothing a file says can exceed what the simulator represents exactly.
// The README's "Limits" section lists them; raising one is a change to this file.

/** The longest virtual time a step, the time bound or the liveness bound may name: ~11.6 days. */
export const MAX_TIME_MS = 1_000_000_000;

/**
 * The largest clock offset and clock step, either way. With times and steps this size a clock
 * reading stays an exact integer (far below 2^53) even after a million steps.
 */
export const MAX_CLOCK_MS = 1_000_000_000;

/** Seeds are whole numbers that survive the round trip through the printed replay command. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Servers and clients, as a count or as a list of names. */
export const MAX_NODES = 64;

/**
 * Steps in a scenario. Each one costs the run about 1 KB (its operation, its history, its copy in
 * the trace document): 5,000,000 GETs took 4.6 GB and 50 s of CPU, near the heap's limit.
 */
export const MAX_STEPS = 1_000_000;

/** Lengths in characters: what the timeline, the diagram and the page can show in one piece. */
export const MAX_CHARS = {
  goal: 200,
  note: 500,
  key: 100,
  value: 1000,
  node: 32,
} as const;

/**
 * The characters of every step's texts together. A run draws, saves and pages them whole: a
 * million steps each with a 500-character note came to 500 MB of narration, past what a string,
 * a saved trace or a page can hold.
 */
export const MAX_STEP_TEXT_CHARS = 50_000_000;

/** A node's name: a letter, then letters, digits, `-` or `_`. */
export const NODE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** A name a scenario may give a node (NODE_NAME, at most MAX_CHARS.node long). */
export function isNodeName(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_CHARS.node && NODE_NAME.test(v);
}

/**
 * Loading a scenario file: how long its import may take, and the memory it may use. A generated
 * file of 100,000 steps (4 MB) loads in about 1.3 s of CPU; the time limit leaves room for a busy
 * machine and much larger files.
 */
export const LOAD_TIMEOUT_MS = 30_000;
export const LOAD_MEMORY_MB = 1024;
/** The environment variable that raises (or lowers) the load time limit, in ms. */
export const LOAD_TIMEOUT_ENV = 'KVSIM_LOAD_TIMEOUT_MS';
