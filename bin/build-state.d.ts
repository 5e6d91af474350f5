// Types of bin/build-state.js (plain JavaScript, loaded before TypeScript can be), for the tests.
export declare const STAMP_FORMAT: number;
export declare const STAMP_FILE: string;
export declare const SOURCE_DIRS: readonly string[];
export declare const BUILD_FILES: readonly string[];
export declare function sourceState(root: string): Record<string, string>;
export declare function checkBuild(root: string): { fresh: true } | { fresh: false; reason: string };
