// A real ACME server on loopback: Debian's pebble, with pebble-challtestsrv (test/support/dns.ts) as its
// DNS. Its directory is served over TLS with a certificate from a throwaway CA made here with openssl.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "./dns.ts";

export interface TestCa {
  dir: string;
  /** PEM of the CA that signed Pebble's TLS certificate (`MIAOBU_ACME_CA_BUNDLE`). */
  caPem: string;
}

/** A CA and a certificate for 127.0.0.1 signed by it, for Pebble's HTTPS listener. */
export async function makeTestCa(): Promise<TestCa> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-pebble-"));
  const at = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=miaobu test CA",
  ]);
  openssl(["req", ...ec, "-keyout", at("key.pem"), "-out", at("leaf.csr"), "-subj", "/CN=127.0.0.1"]);
  await fs.writeFile(at("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl([
    "x509",
    "-req",
    "-in",
    at("leaf.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-out",
    at("cert.pem"),
    "-days",
    "2",
    "-extfile",
    at("ext.cnf"),
  ]);
  return { dir, caPem: await fs.readFile(at("ca.pem"), "utf8") };
}

export interface TestPebble {
  directoryUrl: string;
  stop(): void;
}

/** Pebble's listening port; choose it before the platform starts so the API can be told its directory. */
export const pebblePort = freePort;

/**
 * Starts Pebble on `port`. It validates http-01 at `{host}:{httpPort}` (the router), resolving names through
 * `dnsServer`; certificates last `validityDays` (under 30 makes every one due for renewal at once).
 */
export async function startPebble(
  ca: TestCa,
  options: { port: number; httpPort: number; dnsServer: string; validityDays?: number },
): Promise<TestPebble> {
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${options.port}`,
      managementListenAddress: `127.0.0.1:${await freePort()}`,
      certificate: path.join(ca.dir, "cert.pem"),
      privateKey: path.join(ca.dir, "key.pem"),
      httpPort: options.httpPort,
      tlsPort: await freePort(),
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      certificateValidityPeriod: (options.validityDays ?? 90) * 86_400,
    },
  };
  const configPath = path.join(ca.dir, "pebble.json");
  await fs.writeFile(configPath, JSON.stringify(config));
  const child: ChildProcess = spawn("pebble", ["-config", configPath, "-dnsserver", options.dnsServer], {
    // No random sleeps before validation, no randomly rejected nonces, fresh authorizations every order.
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    stdio: process.env.MIAOBU_TEST_LOGS === "1" ? "inherit" : "ignore",
  });
  child.unref();
  const stop = () => child.kill();
  process.once("exit", stop);
  const directoryUrl = `https://127.0.0.1:${options.port}/dir`;
  for (let i = 0; ; i++) {
    try {
      execFileSync("curl", ["-sf", "--cacert", path.join(ca.dir, "ca.pem"), directoryUrl], {
        stdio: "ignore",
      });
      break;
    } catch {
      if (i > 100) throw new Error("pebble did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { directoryUrl, stop };
}
