// The WASM core surface. Filled in by the core work.
export function coreVersion(): u32 { return 1; }
