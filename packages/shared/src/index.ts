export * from "./ids.ts";
export * from "./hostnames.ts";
export * from "./manifest.ts";
export * from "./mime.ts";
export * from "./paths.ts";
export * from "./password.ts";
