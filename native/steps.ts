// Step names, as the addon reports them in NativeError.step. The list itself lives in ONE
// place, native/src/steps.def, compiled into the addon and read back from it here (lazily,
// so importing native/index.ts for types or plans never needs the built addon).
import { loadAddon } from './load.js';

let cached: readonly string[] | undefined;

/** Every step name the addon can report, in the order of native/src/steps.def. */
export function steps(): readonly string[] {
  cached ??= Object.freeze([...loadAddon().steps]);
  return cached;
}
