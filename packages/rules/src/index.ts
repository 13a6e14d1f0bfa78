export * from "./headers.ts";
export * from "./match.ts";
export { hasControlCharacter, normalizePath } from "./pattern.ts";
export * from "./redirects.ts";
export * from "./rules-file.ts";
export * from "./types.ts";
