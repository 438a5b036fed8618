// Step names, as the addon reports them in NativeError.step. The list itself lives in ONE
// place, native/src/steps.def, compiled into the addon and read back from it here.
import { loadAddon } from './load.js';

/** Every step name the addon can report, in execution order of definition. */
export const STEPS: readonly string[] = Object.freeze([...loadAddon().steps]);
