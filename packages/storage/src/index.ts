export * from "./config.ts";
export * from "./create.ts";
export * from "./oss.ts";
export * from "./r2.ts";
export * from "./s3.ts";
export * from "./types.ts";
