// Types for sim/cli/cache.mjs (plain JavaScript, shared with start.mjs).

/** The repository's root folder. */
export const ROOT: string;
/** This checkout's folder of bundles. */
export const CACHE: string;
/** Files whose change makes every bundle anew. */
export const SETTINGS: readonly string[];
export function digestText(text: string | Uint8Array): string;
/** The path of the bundle cached under `name`, when it is current and its companions are there. */
export function cached(name: string, companions?: readonly string[]): string | null;
/** Keeps a bundle's files (`[suffix, text]`, given its name) and its manifest under `name`; its path. */
export function store(
  name: string,
  prefix: string,
  ext: string,
  filesOf: (bundle: string) => readonly (readonly [suffix: string, text: string])[],
  sources: Readonly<Record<string, string>>,
): string;
export function writeAtomically(path: string, text: string): void;
export function writable(): boolean;
