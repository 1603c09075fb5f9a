// The WebAssembly global as used here; the workspace compiles with lib ES2023 and no DOM types,
// where the WebAssembly namespace is not declared.
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
