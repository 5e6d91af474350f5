import type { VectorHandler } from '../runner.ts';

/** Every vector handler, one per kind of file. Add new handlers here. */
export const handlers: VectorHandler[] = [];
