export * from "./git-url.ts";
export * from "./hostnames.ts";
export * from "./ids.ts";
export * from "./ip-address.ts";
export * from "./manifest.ts";
export * from "./mime.ts";
export * from "./password.ts";
export * from "./paths.ts";
