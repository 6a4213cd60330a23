// Knobs are the protocol's switchable design choices. Each store declares its knobs as specs;
// this file validates a knob assignment and applies presets, so that every caller (scenarios,
// the command line, the random explorer) gets the same answers and the same error messages.

export type KnobSpec =
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly doc: string }
  | {
      readonly kind: 'int';
      readonly min: number;
      readonly max: number;
      readonly unit: 'ms' | 'count';
      readonly doc: string;
    };

export type KnobValue = string | number;
export type KnobSpecs<K> = { readonly [N in keyof K]: KnobSpec };

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

export function describeKnob(spec: KnobSpec): string {
  return spec.kind === 'enum'
    ? `one of ${spec.values.join(', ')}`
    : `an integer from ${spec.min} to ${spec.max}${spec.unit === 'ms' ? ' (ms)' : ''}`;
}

/** Checks one knob assignment given as text (`--knob name=value`) or as a value (a scenario). */
export function parseKnob<K extends object>(
  specs: KnobSpecs<K>,
  name: string,
  raw: unknown,
): Parsed<{ name: keyof K & string; value: KnobValue }> {
  if (!Object.hasOwn(specs, name)) {
    const known = Object.keys(specs).join(', ');
    return { ok: false, error: `unknown knob '${name}'; the knobs are: ${known}` };
  }
  const spec = specs[name as keyof K];
  if (spec.kind === 'enum') {
    if (typeof raw === 'string' && spec.values.includes(raw)) {
      return { ok: true, value: { name: name as keyof K & string, value: raw } };
    }
    return {
      ok: false,
      error: `knob ${name} must be ${describeKnob(spec)} (got '${String(raw)}')`,
    };
  }
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^-?\d+$/.test(raw)
        ? Number(raw)
        : Number.NaN;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
    // An empty value (`--knob retryLimit=`, an empty number box) is said in words, not as ''.
    const got =
      typeof raw === 'string' && raw.trim() === '' ? 'no value was given' : `got '${String(raw)}'`;
    return { ok: false, error: `knob ${name} must be ${describeKnob(spec)} (${got})` };
  }
  return { ok: true, value: { name: name as keyof K & string, value: n } };
}

/** Applies overrides to a preset, validating each; the first bad one is the error. */
export function resolveKnobs<K extends object>(
  specs: KnobSpecs<K>,
  presets: Readonly<Record<string, K>>,
  presetName: string,
  overrides: Readonly<Record<string, unknown>>,
): Parsed<K> {
  if (!Object.hasOwn(presets, presetName)) {
    return {
      ok: false,
      error: `unknown preset '${presetName}'; the presets are: ${Object.keys(presets).join(', ')}`,
    };
  }
  const knobs: Record<string, KnobValue> = {
    ...(presets[presetName] as Record<string, KnobValue>),
  };
  for (const [name, raw] of Object.entries(overrides)) {
    const parsed = parseKnob(specs, name, raw);
    if (!parsed.ok) return parsed;
    knobs[parsed.value.name] = parsed.value.value;
  }
  return { ok: true, value: knobs as K };
}
