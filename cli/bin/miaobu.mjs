#!/usr/bin/env node
// The bundle is built by `npm install` (the root postinstall) or `npm run build -w miaobu`.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/miaobu.mjs", import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    "miaobu is not built: run `npm install` (or `npm run build -w miaobu`) in the Miaobu checkout\n",
  );
  process.exit(1);
}
const { main } = await import(bundle.href);
const code = await main(process.argv.slice(2));
// A finished command exits at once: a WebSocket still closing or an idle keep-alive connection must not
// hold it open. Wait for the output to be written first.
await new Promise((resolve) => process.stdout.write("", resolve));
await new Promise((resolve) => process.stderr.write("", resolve));
process.exit(code);
