/** Types of build.mjs, for TypeScript callers (the proof builds its own copy of the BFF). */
export const outfile: string;
export function buildBff(to?: string, entry?: string): Promise<string>;
export function privateOutfile(prefix: string): string;
export function removeBuild(file: string): void;
