import { spawn } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { leaseUserName } from "../src/user-lease.ts";

it("never gives two live builders the same build user, and takes over a dead builder's lease", async () => {
  const prefix = `lease-test-${process.pid}`;
  const module = path.resolve(import.meta.dirname, "../src/user-lease.ts");
  // Another builder process holds the first user of the prefix.
  const other = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { leaseUserName } = await import(${JSON.stringify(module)});
       console.log(leaseUserName(${JSON.stringify(prefix)}, 0));
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const held = await new Promise<string>((resolve) => {
    other.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
  });
  expect(held).toBe(`${prefix}-0`);
  expect(leaseUserName(prefix, 0)).toBe(`${prefix}-1`);
  expect(leaseUserName(prefix, 0)).toBe(`${prefix}-1`);

  // Once that builder is gone, its user is free again for a slot of this one.
  other.kill("SIGKILL");
  await new Promise((resolve) => other.once("exit", resolve));
  expect(leaseUserName(prefix, 1)).toBe(`${prefix}-0`);
});
